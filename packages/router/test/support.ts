import type { CompletionRequest } from "@am/core"
import { Effect, Result } from "effect"
import fc from "fast-check"
import {
  type Capability,
  type PlanInput,
  planRequest,
  type RouteEntry,
  type RouterError,
  type RouterModel,
  type RouterProvider,
  type RoutePlan,
  type RoutingTable
} from "../src/index.ts"

/** A provider whose models are given by name (catalogue defaults) or with fields. */
export const provider = (
  id: string,
  kind: RouterProvider["kind"],
  models: ReadonlyArray<string | RouterModel>,
  keys?: RouterProvider["keys"]
): RouterProvider => ({
  id,
  kind,
  models: new Map(models.map((m) => (typeof m === "string" ? [m, { name: m }] : [m.name, m]))),
  ...(keys !== undefined ? { keys } : {})
})

export const table = (
  providers: ReadonlyArray<RouterProvider>,
  routes: Readonly<Record<string, RouteEntry>>,
  catalogue?: RoutingTable["catalogue"]
): RoutingTable => ({
  providers: new Map(providers.map((p) => [p.id, p])),
  routes: new Map(Object.entries(routes)),
  ...(catalogue !== undefined ? { catalogue } : {})
})

export const user = (content: string): CompletionRequest => ({ messages: [{ role: "user", content }] })

export const imageRequest: CompletionRequest = {
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" }
      ]
    }
  ]
}

export const withTools: CompletionRequest = {
  ...user("What is the weather in Paris?"),
  tools: [{ name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } }]
}

/** The plan, or a test failure naming the router's error. */
export const planOf = (t: RoutingTable, input: Omit<PlanInput, "requestId"> & { requestId?: string }): RoutePlan => {
  const r = planRequest(t, { requestId: "req-1", ...input })
  if (Result.isFailure(r)) throw new Error(`expected a plan, got ${r.failure.message}`)
  return r.success
}

export const errorOf = (t: RoutingTable, input: Omit<PlanInput, "requestId">): RouterError => {
  const r = planRequest(t, { requestId: "req-1", ...input })
  if (Result.isSuccess(r)) throw new Error(`expected an error, got a plan of ${r.success.candidates.length}`)
  return r.failure
}

export const order = (plan: RoutePlan): ReadonlyArray<string> =>
  plan.candidates.map((c) => `${c.provider}/${c.model.name}`)

export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

// --- arbitraries -------------------------------------------------------------------------------

/** Names the catalogue knows (with different capabilities) and names it does not. */
export const MODEL_NAMES = [
  "gpt-4o",
  "gpt-4o-mini",
  "o3-mini",
  "gpt-audio",
  "claude-haiku-4-5",
  "claude-opus-4-7",
  "gemini-2.5-flash",
  "text-embedding-3-small",
  "local-llama",
  "m-x"
] as const

export const ENGINE_CAPABILITIES = ["tools", "json", "vision", "streaming"] as const

export const arbCapabilities = <C extends Capability>(pool: ReadonlyArray<C>) => fc.subarray([...pool])

/** A request of the shapes the engine's plan understands today: text/image parts, tools, JSON, maxTokens. */
export const arbRequest = (route: fc.Arbitrary<string>): fc.Arbitrary<CompletionRequest> =>
  fc
    .record({
      route,
      text: fc.string({ maxLength: 400 }),
      repeat: fc.integer({ min: 1, max: 400 }),
      image: fc.boolean(),
      tools: fc.boolean(),
      json: fc.constantFrom(undefined, "json_object", "json_schema"),
      maxTokens: fc.option(fc.integer({ min: 1, max: 16_384 }), { nil: undefined }),
      asModel: fc.boolean()
    })
    .map(({ route, text, repeat, image, tools, json, maxTokens, asModel }) => {
      const body = text.repeat(repeat)
      const content = image
        ? [
            { type: "text" as const, text: body },
            { type: "image" as const, url: "https://x/y.png" }
          ]
        : body
      return {
        ...(asModel ? { model: route } : { route }),
        messages: [{ role: "user" as const, content }],
        ...(tools ? { tools: [{ name: "t", parameters: { type: "object" } }] } : {}),
        ...(json === "json_object" ? { responseFormat: { type: "json_object" as const } } : {}),
        ...(json === "json_schema"
          ? { responseFormat: { type: "json_schema" as const, name: "s", schema: { type: "object" } } }
          : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {})
      }
    })
