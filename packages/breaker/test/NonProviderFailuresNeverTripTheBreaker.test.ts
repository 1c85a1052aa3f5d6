import { FailureClass } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import fc from "fast-check"
import { Breakers, CircuitOpen, outcomeOf } from "../src/index.ts"
import { circuitEvents, failWith, harness, makeUpstream, ok, providerDown, Upstream } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }
const THRESHOLD = 3

const nonProviderFailure = fc
  .record({
    cls: fc.constantFrom(...FailureClass.literals),
    scope: fc.constantFrom("key", "model", "request", "content"),
    retryAfterMs: fc.option(fc.nat(600_000), { nil: undefined })
  })
  .map((f) => new Upstream(f.retryAfterMs === undefined ? { cls: f.cls, scope: f.scope } : f))

// One step of a script: the upstream succeeds, fails at provider scope, or fails at any other scope.
type Step =
  | { readonly kind: "ok" }
  | { readonly kind: "provider" }
  | { readonly kind: "other"; readonly error: Upstream }
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: "ok" }),
  fc.constant<Step>({ kind: "provider" }),
  nonProviderFailure.map((error): Step => ({ kind: "other", error }))
)

const runScript = (steps: ReadonlyArray<Step>) =>
  Effect.gen(function* () {
    const upstream = yield* makeUpstream
    const breakers = yield* Breakers
    const rejectedAt: Array<number> = []
    for (const [i, s] of steps.entries()) {
      const outcome = s.kind === "ok" ? ok : failWith(s.kind === "provider" ? providerDown() : s.error)
      const exit = yield* Effect.result(upstream.call(target, outcome))
      if (exit._tag === "Failure" && exit.failure instanceof CircuitOpen) rejectedAt.push(i)
    }
    return {
      status: yield* breakers.status(target),
      rejectedAt,
      calls: yield* upstream.calls,
      events: yield* circuitEvents
    }
  }).pipe(Effect.provide(harness({ defaults: { consecutiveFailures: THRESHOLD, openFor: "1 minute" } })))

describe("only provider-scoped failures count", () => {
  it("any sequence of key-, model-, request- and content-scoped failures leaves the breakers closed", () =>
    fc.assert(
      fc.property(fc.array(nonProviderFailure, { maxLength: 60 }), (errors) => {
        const result = Effect.runSync(runScript(errors.map((error) => ({ kind: "other", error }) as const)))
        assert.strictEqual(result.status, "closed")
        assert.deepStrictEqual(result.rejectedAt, [])
        assert.deepStrictEqual(result.events, [])
        assert.strictEqual(result.calls, errors.length)
      }),
      { numRuns: 200 }
    ))

  it("the breaker opens exactly when provider failures reach the threshold with no success between them", () =>
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        // Reference model of CircuitBreaker.consecutive: a success resets the streak, an ignored
        // outcome leaves it as it is. Time never moves, so once open it stays open.
        let streak = 0
        let trippedAt: number | undefined
        for (const [i, s] of steps.entries()) {
          if (trippedAt !== undefined) break
          if (s.kind === "ok") streak = 0
          if (s.kind === "provider") streak++
          if (streak >= THRESHOLD) trippedAt = i
        }
        const result = Effect.runSync(runScript(steps))
        const expectedRejections =
          trippedAt === undefined ? [] : steps.map((_, i) => i).filter((i) => i > (trippedAt as number))
        assert.deepStrictEqual(result.rejectedAt, expectedRejections)
        assert.strictEqual(result.status, trippedAt === undefined ? "closed" : "open")
        assert.strictEqual(result.calls, steps.length - expectedRejections.length)
      }),
      { numRuns: 300 }
    ))

  it("outcomeOf: provider scope is a Failure carrying Retry-After; every other scope is Ignored", () => {
    const base = { class: "server_error", retryable: true, errorType: "500", rule: "t" } as const
    const hinted = outcomeOf({ ...base, scope: "provider", retryAfterMs: 1500 })
    assert.strictEqual(hinted._tag, "Failure")
    assert.strictEqual(hinted._tag === "Failure" && hinted.retryAfter ? Duration.toMillis(hinted.retryAfter) : -1, 1500)
    const plain = outcomeOf({ ...base, scope: "provider" })
    assert.isTrue(plain._tag === "Failure" && plain.retryAfter === undefined)
    for (const scope of ["key", "model", "request", "content"] as const) {
      assert.strictEqual(outcomeOf({ ...base, scope })._tag, "Ignored")
    }
  })
})
