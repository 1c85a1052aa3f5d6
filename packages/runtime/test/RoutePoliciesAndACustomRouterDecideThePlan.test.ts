/**
 * The router is the engine's plan stage in every host (`layerConfig`/`layerEngine`): a route's
 * `profile`, step `weight`s and `overrides` from the config file decide which upstream is called
 * first, the capability matrix (streaming, tools) keeps a request off a model that cannot serve
 * it, and `layerConfig(config, { router })` replaces the route-table router with a custom layer.
 * Official SDK adapters against the testkit's upstreams; nothing mocked.
 */
import { EventBus } from "@am/core"
import { Engine } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { layerConfig, RouteHints, Router } from "../src/index.ts"
import { makeHarness, user } from "./support/Harness.ts"

// The default route names gpt-4o before gpt-4o-mini; the price table has gpt-4o-mini ~16× cheaper.
const both = [{ provider: "primary", models: ["gpt-4o", "gpt-4o-mini"] }]
const withRoute = (route: unknown, models?: unknown) => (raw: any) => ({
  ...raw,
  providers: {
    ...raw.providers,
    primary: { ...raw.providers.primary, ...(models !== undefined ? { models } : {}) }
  },
  routes: { default: route }
})
const first = (attempts: ReadonlyArray<{ provider: string; model: string }>) =>
  `${attempts[0]!.provider}/${attempts[0]!.model}`

describe("route policies and a custom router decide the plan", () => {
  it.effect("profile: cheapest calls the model the price table says is cheaper, priority the first written", () =>
    Effect.gen(function* () {
      for (const [profile, expected] of [
        ["cheapest", "gpt-4o-mini"],
        ["priority", "gpt-4o"]
      ] as const) {
        const h = yield* makeHarness({ config: withRoute({ profile, steps: both }) })
        const answer = yield* Effect.flatMap(Effect.service(Engine), (e) => e.complete(user("hello"))).pipe(
          Effect.provide(h.layer)
        )
        assert.strictEqual(answer.resilience.model, expected, profile)
        assert.deepStrictEqual(
          h.openai.requests.map((r) => r.model),
          [expected]
        )
      }
    }).pipe(Effect.scoped)
  )

  it.effect("weights balance a step per request id: both models lead, in proportion", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        config: withRoute([{ ...both[0], weight: { "gpt-4o": 1, "gpt-4o-mini": 3 } }])
      })
      const engine = yield* Effect.service(Engine).pipe(Effect.provide(h.layer))
      const led = { "gpt-4o": 0, "gpt-4o-mini": 0 } as Record<string, number>
      for (let i = 0; i < 40; i++) led[(yield* engine.complete(user(`q${i}`))).resilience.model!]! += 1
      assert.isAbove(led["gpt-4o"]!, 0)
      assert.isAbove(led["gpt-4o-mini"]!, led["gpt-4o"]!)
    }).pipe(Effect.scoped)
  )

  it.effect("overrides: x-am-route within what the route allows, a 400-style error naming the field beyond", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        config: withRoute({ steps: both, overrides: { profiles: ["cheapest"], pin: false } })
      })
      const engine = yield* Effect.service(Engine).pipe(Effect.provide(h.layer))
      const cheap = yield* engine
        .complete(user("hi"))
        .pipe(Effect.provideService(RouteHints, { override: "profile=cheapest" }))
      assert.strictEqual(cheap.resilience.model, "gpt-4o-mini")
      const pinned = yield* Effect.flip(
        engine.complete(user("hi")).pipe(Effect.provideService(RouteHints, { override: "model=gpt-4o-mini" }))
      )
      assert.strictEqual(pinned.code, "invalid_request")
      assert.strictEqual(pinned.field, "x-am-route")
      const profile = yield* Effect.flip(
        engine.complete(user("hi")).pipe(Effect.provideService(RouteHints, { profile: "fastest" }))
      )
      assert.strictEqual(profile.field, "metadata.profile")
      assert.deepStrictEqual(
        h.openai.requests.map((r) => r.model),
        ["gpt-4o-mini"]
      )
    }).pipe(Effect.scoped)
  )

  it.effect("a streamed request never goes to a model without streaming; the no_route names the field", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        config: withRoute(both, [
          { name: "gpt-4o", capabilities: ["tools", "json"] },
          { name: "gpt-4o-mini", capabilities: ["tools", "json", "streaming"] }
        ])
      })
      const engine = yield* Effect.service(Engine).pipe(Effect.provide(h.layer))
      const stream = yield* engine.stream(user("hello"))
      yield* Stream.runDrain(stream.chunks)
      assert.deepStrictEqual(
        h.openai.requests.map((r) => r.model),
        ["gpt-4o-mini"]
      )
      const vision = yield* Effect.flip(
        engine.complete({
          model: "gpt-4o",
          messages: [{ role: "user", content: [{ type: "image", url: "https://example.com/cat.png" }] }]
        })
      )
      assert.strictEqual(vision.code, "no_route")
      assert.include(vision.message, '"vision"')
      assert.include(vision.message, 'providers.primary.models[name="gpt-4o"].capabilities')
    }).pipe(Effect.scoped)
  )

  it.effect("layerConfig(config, { router }) plans with a custom router layer", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness()
      const base = Router.make({ providers: h.config.providers, routes: h.config.routes })
      // Last-written first: the opposite of the route-table router.
      const reversed = Layer.succeed(
        Router,
        Router.of({
          plan: (input) =>
            Effect.map(base.plan(input), (plan) => ({
              ...plan,
              candidates: [...plan.candidates].reverse().map((c, index) => ({ ...c, index }))
            }))
        })
      )
      const layer = Layer.provideMerge(layerConfig(h.config, { router: reversed }), EventBus.layerMemory)
      const answer = yield* Effect.flatMap(Effect.service(Engine), (e) => e.complete(user("hello"))).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(first(answer.resilience.attempts), "tertiary/gemini-2.5-flash")
      assert.strictEqual(h.gemini.requests.length, 1)
      assert.strictEqual(h.openai.requests.length, 0)
    }).pipe(Effect.scoped)
  )
})
