/**
 * The config's embeddings rules. A model entry: the `embeddings` capability needs `dimensions`
 * (what the route promises every vector's size to be), and `dimensions` is only for such a model.
 * A route: every embeddings model it lists has the same `dimensions`, so failover never hands a
 * client vectors of another size than its index holds. Both fail at start naming the field.
 *
 * @internal
 */
import { stepsOf } from "@am/engine"
import { Schema } from "effect"

interface ModelLike {
  readonly capabilities?: ReadonlySet<string> | undefined
  readonly dimensions?: number | undefined
}

/** A model's `dimensions` and `embeddings` capability go together. */
export const embeddingsModelHasDimensions = Schema.makeFilter((m: ModelLike) => {
  // Capabilities left out come from the router's catalogue (with the dimensions it knows).
  if (m.capabilities === undefined) return undefined
  const embeds = m.capabilities.has("embeddings")
  if (embeds && m.dimensions === undefined) {
    return { path: ["dimensions"], issue: `a model with the "embeddings" capability needs its dimensions` }
  }
  if (!embeds && m.dimensions !== undefined) {
    return { path: ["dimensions"], issue: `dimensions is only for a model with the "embeddings" capability` }
  }
  return undefined
})

interface ConfigLike {
  readonly providers: ReadonlyMap<string, { readonly models: ReadonlyMap<string, ModelLike> }>
  readonly routes: ReadonlyMap<string, Parameters<typeof stepsOf>[0]>
}

/** Every embeddings model of a route has the same dimensions (the first one's). */
export const routeEmbeddingDimensionsAgree = Schema.makeFilter((config: ConfigLike) => {
  for (const [name, route] of config.routes) {
    let first: { readonly at: string; readonly dimensions: number } | undefined
    for (const [i, step] of stepsOf(route).entries()) {
      for (const [j, modelName] of step.models.entries()) {
        const model = config.providers.get(step.provider)?.models.get(modelName)
        if (model?.dimensions === undefined || model.capabilities?.has("embeddings") !== true) continue
        const at = `${step.provider}/${modelName}`
        if (first === undefined) first = { at, dimensions: model.dimensions }
        else if (model.dimensions !== first.dimensions) {
          return {
            path: ["routes", name, i, "models", j],
            issue: `route "${name}" mixes embedding dimensions: ${first.at} has ${first.dimensions}, ${at} has ${model.dimensions} (a route may only mix embedding models of the same dimensions)`
          }
        }
      }
    }
  }
  return undefined
})
