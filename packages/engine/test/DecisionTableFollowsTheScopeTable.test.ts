/**
 * The failover policy on its own: the pure decision table (`Decision.ts`) against every row of
 * DESIGN.md's scope table, the attempt maximum, the deadline and the retry budget — no provider,
 * no fiber, no clock.
 */
import type { FailureClass, FailureScope } from "@am/core"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Decision from "../src/Decision.ts"

const policy: Decision.Policy = { maxAttempts: 10, providerRetries: 2, maxBackoffMs: 8_000, contentPolicy: "rewrite" }
const primary: Decision.Target = { index: 0, provider: "primary", contextWindow: 8_192 }
const primaryMini: Decision.Target = { index: 1, provider: "primary", contextWindow: 128_000 }
const secondary: Decision.Target = { index: 2, provider: "secondary", contextWindow: 200_000 }
const tertiarySmall: Decision.Target = { index: 3, provider: "tertiary", contextWindow: 4_096 }

const failed = (scope: FailureScope, cls: FailureClass, retryAfterMs?: number): Decision.Failure => ({
  _tag: "CallFailed",
  scope,
  class: cls,
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
})

const input = (failure: Decision.Failure, over: Partial<Decision.Input> = {}): Decision.Input => ({
  failure,
  failed: primary,
  calls: 1,
  now: 1_000,
  deadlineAt: 60_000,
  retriesMade: 0,
  delayMs: 200,
  budgetAllows: true,
  ...over
})

const context = (over: Partial<Parameters<typeof Decision.admits>[3]> = {}) => ({
  calls: 1,
  maxAttempts: policy.maxAttempts,
  now: 1_000,
  deadlineAt: 60_000,
  budgetAllows: true,
  ...over
})

/** Which later candidates run after a decision for `primary`. */
const next = (d: Decision.Decision, ctx = context()) =>
  [primaryMini, secondary, tertiarySmall].filter((c) => Decision.admits(d, primary, c, ctx)).map((c) => c.index)

describe("the decision table follows DESIGN.md's scope table", () => {
  it("request scope (malformed, unsupported parameter): stop, no fallback", () => {
    const d = Decision.decide(policy, input(failed("request", "invalid_request")))
    expect(d).toEqual({ _tag: "Stop", reason: "request" })
    expect(next(d)).toEqual([])
  })

  it("key scope (invalid key, rate limit, quota): next key on the same target", () => {
    for (const cls of ["auth_invalid", "rate_limit", "quota_exhausted"] as const) {
      const d = Decision.decide(policy, input(failed("key", cls)))
      expect(d).toEqual({ _tag: "NextKey" })
      expect(Decision.staysOnTarget(d)).toBe(true)
      // While the target is still being served, no later candidate runs.
      expect(next(d)).toEqual([])
    }
  })

  it("model scope (not found, overloaded model): the next model, of any provider", () => {
    const d = Decision.decide(policy, input(failed("model", "model_not_found")))
    expect(d).toEqual({ _tag: "NextModel" })
    expect(Decision.staysOnTarget(d)).toBe(false)
    expect(next(d)).toEqual([1, 2, 3])
  })

  it("context length exceeded: only models with a larger window", () => {
    const d = Decision.decide(policy, input(failed("model", "context_length_exceeded")))
    expect(d).toEqual({ _tag: "NextModel", minContextWindow: primary.contextWindow + 1 })
    expect(next(d)).toEqual([1, 2])
  })

  it("provider scope (5xx, 529, timeout, reset): backoff retry on the same target while retries last", () => {
    const d = Decision.decide(policy, input(failed("provider", "overloaded"), { delayMs: 350 }))
    expect(d).toEqual({ _tag: "RetrySame", delayMs: 350 })
    expect(Decision.staysOnTarget(d)).toBe(true)
  })

  it("provider scope, retries spent: the next provider, never another model of the same one", () => {
    const d = Decision.decide(policy, input(failed("provider", "server_error"), { retriesMade: 2 }))
    expect(d).toEqual({ _tag: "NextProvider", reason: "retries_exhausted", budgeted: true })
    expect(next(d)).toEqual([2, 3])
  })

  it("provider scope, a Retry-After beyond the backoff cap: fail over instead of waiting", () => {
    const d = Decision.decide(policy, input(failed("provider", "overloaded", 30_000)))
    expect(d).toEqual({ _tag: "NextProvider", reason: "retry_after_too_long", budgeted: true })
  })

  it("provider scope, a wait that would end past the deadline: fail over, another provider may answer in time", () => {
    const d = Decision.decide(policy, input(failed("provider", "server_error"), { now: 59_900, delayMs: 200 }))
    expect(d).toEqual({ _tag: "NextProvider", reason: "no_time_to_wait", budgeted: true })
    expect(next(d, context({ now: 59_900 }))).toEqual([2, 3])
  })

  it("provider scope, a timeout (silence): fail over at once, retries left or not; on the revisit, the ordinary rules", () => {
    for (const retriesMade of [0, 1]) {
      const d = Decision.decide(policy, input(failed("provider", "timeout"), { retriesMade }))
      expect(d).toEqual({ _tag: "NextProvider", reason: "silent", budgeted: true })
      expect(next(d, context())).toEqual([2, 3])
    }
    const again = Decision.decide(policy, input(failed("provider", "timeout"), { revisiting: true, delayMs: 200 }))
    expect(again).toEqual({ _tag: "RetrySame", delayMs: 200 })
    expect(Decision.decide(policy, input(failed("provider", "timeout"), { now: 60_000 }))).toEqual({
      _tag: "Stop",
      reason: "deadline"
    })
  })

  it("content scope with contentPolicy rewrite or fail: stop (mitigation runs around the table)", () => {
    expect(Decision.decide(policy, input(failed("content", "content_policy")))).toEqual({
      _tag: "Stop",
      reason: "content"
    })
    expect(Decision.decide({ ...policy, contentPolicy: "fail" }, input(failed("content", "content_policy")))).toEqual({
      _tag: "Stop",
      reason: "content"
    })
  })

  it("content scope with contentPolicy fallback: another provider, unbudgeted", () => {
    const d = Decision.decide({ ...policy, contentPolicy: "fallback" }, input(failed("content", "content_policy")))
    expect(d).toEqual({ _tag: "NextProvider", reason: "content_fallback", budgeted: false })
    expect(next(d, context({ budgetAllows: false }))).toEqual([2, 3])
  })

  it("nothing sent (no healthy key, circuit open): any later candidate", () => {
    for (const failure of [{ _tag: "KeysExhausted" }, { _tag: "BreakerRejected" }] as const) {
      const d = Decision.decide(policy, input(failure))
      expect(d).toEqual({ _tag: "NextModel" })
      expect(next(d)).toEqual([1, 2, 3])
    }
  })
})

describe("the bounds every request has", () => {
  it("the attempt maximum stops every scope, and no later candidate runs", () => {
    const scopes: ReadonlyArray<Decision.Failure> = [
      failed("key", "rate_limit"),
      failed("model", "model_not_found"),
      failed("provider", "overloaded"),
      { _tag: "KeysExhausted" }
    ]
    for (const failure of scopes) {
      const d = Decision.decide(policy, input(failure, { calls: 10 }))
      expect(d).toEqual({ _tag: "Stop", reason: "attempts" })
      expect(next(d, context({ calls: 10 }))).toEqual([])
    }
    // Even a decision made earlier admits no one once the maximum is reached.
    expect(next({ _tag: "NextModel" }, context({ calls: 10 }))).toEqual([])
  })

  it("a passed deadline stops every scope", () => {
    for (const failure of [failed("key", "rate_limit"), failed("model", "overloaded"), failed("provider", "timeout")]) {
      expect(Decision.decide(policy, input(failure, { now: 60_000 }))).toEqual({ _tag: "Stop", reason: "deadline" })
    }
    expect(next({ _tag: "NextModel" }, context({ now: 60_000 }))).toEqual([])
  })

  it("the retry budget: a denied budget turns a retry into failover, and blocks failover to a provider whose budget is spent", () => {
    const d = Decision.decide(policy, input(failed("provider", "overloaded"), { budgetAllows: false }))
    expect(d).toEqual({ _tag: "NextProvider", reason: "budget_exhausted", budgeted: true })
    expect(Decision.needsBudget(d, primary, secondary)).toBe(true)
    expect(Decision.needsBudget(d, primary, primaryMini)).toBe(false)
    expect(Decision.admits(d, primary, secondary, context({ budgetAllows: true }))).toBe(true)
    expect(Decision.admits(d, primary, secondary, context({ budgetAllows: false }))).toBe(false)
  })

  it("property: never more than the attempt maximum, never past the deadline, only forward in the plan", () => {
    const scope = fc.constantFrom<FailureScope>("request", "key", "model", "provider", "content")
    const failure = fc.oneof(
      fc.record({
        _tag: fc.constant("CallFailed" as const),
        scope,
        class: fc.constantFrom<FailureClass>("overloaded", "rate_limit", "context_length_exceeded", "unknown"),
        retryAfterMs: fc.option(fc.nat(20_000), { nil: undefined })
      }),
      fc.constant({ _tag: "KeysExhausted" as const }),
      fc.constant({ _tag: "BreakerRejected" as const })
    )
    fc.assert(
      fc.property(
        failure,
        fc.nat(12),
        fc.nat(70_000),
        fc.nat(3),
        fc.nat(10_000),
        fc.boolean(),
        (f, calls, now, retriesMade, delayMs, budgetAllows) => {
          const d = Decision.decide(policy, {
            failure: f,
            failed: primary,
            calls,
            now,
            deadlineAt: 60_000,
            retriesMade,
            delayMs,
            budgetAllows
          })
          if (calls >= policy.maxAttempts || now >= 60_000) {
            expect(Decision.staysOnTarget(d)).toBe(false)
            expect(next(d, context({ calls, now, budgetAllows }))).toEqual([])
          }
          if (d._tag === "RetrySame") {
            expect(now + d.delayMs).toBeLessThan(60_000)
            expect(retriesMade).toBeLessThan(policy.providerRetries)
            expect(budgetAllows).toBe(true)
          }
          // No decision re-admits the failed target or one before it.
          expect(Decision.admits(d, primaryMini, primary, context({ calls, now, budgetAllows }))).toBe(false)
        }
      )
    )
  })
})
