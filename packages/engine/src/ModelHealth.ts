/**
 * Remembers models a provider said it doesn't have (404 `model_not_found`, a retired model) so
 * later requests skip them without a call, until a quarantine ends. Model-scoped failures are
 * deliberately not breaker failures (the provider is healthy), so without this every request
 * would pay one wasted call per retired model in its route.
 *
 * @example
 * ```ts
 * import { ModelHealth } from "@am/engine"
 * const layer = ModelHealth.layerMemory({ quarantineMs: 300_000 })
 * ```
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, SynchronizedRef } from "effect"

export interface ModelQuarantine {
  readonly provider: string
  readonly model: string
  readonly until: number
  readonly reason: string
}

export interface ModelHealthShape {
  /** Quarantines in force now, keyed `provider/model`. */
  readonly unavailable: Effect.Effect<ReadonlyMap<string, ModelQuarantine>>
  readonly markUnavailable: (provider: string, model: string, reason: string) => Effect.Effect<void>
}

export class ModelHealth extends Context.Service<ModelHealth, ModelHealthShape>()("@am/engine/ModelHealth") {
  static readonly layerMemory = (options: { readonly quarantineMs: number }) =>
    Layer.effect(
      ModelHealth,
      Effect.map(SynchronizedRef.make<ReadonlyMap<string, ModelQuarantine>>(new Map()), (ref) =>
        ModelHealth.of({
          unavailable: Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.map(SynchronizedRef.get(ref), (m) => {
              if (m.size === 0) return m
              const live = [...m].filter(([, q]) => q.until > now)
              return live.length === m.size ? m : new Map(live)
            })
          ),
          markUnavailable: (provider, model, reason) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              SynchronizedRef.update(ref, (m) =>
                new Map(m).set(`${provider}/${model}`, { provider, model, reason, until: now + options.quarantineMs })
              )
            )
        })
      )
    )
}
