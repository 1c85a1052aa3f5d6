import { RequestContext, RequestId } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { Breakers } from "../src/index.ts"
import { circuitEvents, failWith, harness, makeUpstream, ok, providerDown } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }

describe("state is readable and transitions are events", () => {
  it.effect("the snapshot lists configured providers and every circuit used, with open-until times", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const breakers = yield* Breakers
      assert.deepStrictEqual(yield* breakers.snapshot, [
        { name: "provider:primary", provider: "primary", status: "closed" },
        { name: "provider:secondary", provider: "secondary", status: "closed" }
      ])

      yield* TestClock.adjust("1 second")
      const start = yield* Clock.currentTimeMillis
      yield* Effect.flip(upstream.call(target, failWith(providerDown())))
      yield* upstream.call({ provider: "secondary", model: "claude" }, ok)
      assert.deepStrictEqual(yield* breakers.snapshot, [
        { name: "provider:primary", provider: "primary", status: "open", openUntil: start + 20_000 },
        {
          name: "model:primary/gpt-4o",
          provider: "primary",
          model: "gpt-4o",
          status: "open",
          openUntil: start + 20_000
        },
        { name: "provider:secondary", provider: "secondary", status: "closed" },
        { name: "model:secondary/claude", provider: "secondary", model: "claude", status: "closed" }
      ])

      yield* TestClock.adjust("20 seconds")
      const after = yield* breakers.snapshot
      assert.deepStrictEqual(
        after.filter((s) => s.provider === "primary").map((s) => [s.status, s.openUntil]),
        [
          ["half_open", undefined],
          ["half_open", undefined]
        ]
      )
    }).pipe(
      Effect.provide(
        harness({
          defaults: { consecutiveFailures: 1, openFor: "20 seconds" },
          providers: { primary: {}, secondary: { consecutiveFailures: 2 } }
        })
      )
    )
  )

  it.effect("known models are listed from the start, before any call", () =>
    Effect.gen(function* () {
      const breakers = yield* Breakers
      assert.deepStrictEqual(
        (yield* breakers.snapshot).map((s) => s.name),
        ["provider:primary", "model:primary/gpt-4o", "model:primary/gpt-4o-mini", "provider:secondary"]
      )
    }).pipe(Effect.provide(harness({ providers: { secondary: {} }, models: { primary: ["gpt-4o-mini", "gpt-4o"] } })))
  )

  it.effect("events carry the breaker, provider, model, open duration and the request's id", () =>
    Effect.gen(function* () {
      const upstream = yield* makeUpstream
      const requestId = RequestId.make()
      const ctx = { requestId, route: "default", startedAt: 0, deadlineAt: 60_000 }
      yield* Effect.flip(upstream.call(target, failWith(providerDown()))).pipe(
        Effect.provideService(RequestContext, ctx)
      )
      yield* Effect.flip(upstream.call(target, ok)) // rejected, outside any request
      yield* TestClock.adjust("5 seconds")
      yield* upstream.call(target, ok).pipe(Effect.provideService(RequestContext, ctx))

      const events = yield* circuitEvents
      const now = yield* Clock.currentTimeMillis
      assert.deepStrictEqual(
        events.map(({ at, ...rest }) => ({ ...rest, at: at === now ? "now" : at === now - 5_000 ? "start" : at })),
        [
          {
            topic: "circuit.tripped",
            breaker: "model:primary/gpt-4o",
            provider: "primary",
            model: "gpt-4o",
            openForMs: 5_000,
            requestId,
            at: "start"
          },
          {
            topic: "circuit.tripped",
            breaker: "provider:primary",
            provider: "primary",
            openForMs: 5_000,
            requestId,
            at: "start"
          },
          { topic: "circuit.rejected", breaker: "provider:primary", provider: "primary", at: "start" },
          { topic: "circuit.half_open", breaker: "provider:primary", provider: "primary", requestId, at: "now" },
          {
            topic: "circuit.half_open",
            breaker: "model:primary/gpt-4o",
            provider: "primary",
            model: "gpt-4o",
            requestId,
            at: "now"
          },
          {
            topic: "circuit.reset",
            breaker: "model:primary/gpt-4o",
            provider: "primary",
            model: "gpt-4o",
            requestId,
            at: "now"
          },
          { topic: "circuit.reset", breaker: "provider:primary", provider: "primary", requestId, at: "now" }
        ]
      )
    }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: 1, openFor: "5 seconds" } })))
  )
})
