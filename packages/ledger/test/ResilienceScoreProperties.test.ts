import type { AttemptRecord } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { FAILOVER_FACTOR, MITIGATION_FACTOR, RETRY_FACTOR, resilienceScore } from "../src/index.ts"

const target = fc.record({ provider: fc.constantFrom("a", "b"), model: fc.constantFrom("m1", "m2") })
const failed = target.map((t): AttemptRecord => ({ ...t, outcome: "failure", latencyMs: 1 }))
const skipped = target.map((t): AttemptRecord => ({ ...t, outcome: "skipped", latencyMs: 0 }))
const success = target.map((t): AttemptRecord => ({ ...t, outcome: "success", latencyMs: 1 }))
const successful = fc.record({
  before: fc.array(fc.oneof(failed, skipped), { maxLength: 8 }),
  last: success,
  mitigationAttempted: fc.boolean()
})

describe("resilienceScore", () => {
  it("first-try success is 1; failure is 0", () => {
    const ok: AttemptRecord = { provider: "a", model: "m1", outcome: "success", latencyMs: 1 }
    assert.strictEqual(resilienceScore({ outcome: "SUCCESS", attempts: [ok], mitigationAttempted: false }), 1)
    assert.strictEqual(
      resilienceScore({ outcome: "FAILURE", attempts: [{ ...ok, outcome: "failure" }], mitigationAttempted: false }),
      0
    )
  })

  it("a retry, a failover and a mitigation each lower it by their factor", () => {
    const a = (provider: string, outcome: AttemptRecord["outcome"]): AttemptRecord => ({
      provider,
      model: "m",
      outcome,
      latencyMs: 1
    })
    const retry = [a("p", "failure"), a("p", "success")]
    const failover = [a("p", "failure"), a("q", "success")]
    assert.strictEqual(
      resilienceScore({ outcome: "SUCCESS", attempts: retry, mitigationAttempted: false }),
      RETRY_FACTOR
    )
    assert.strictEqual(
      resilienceScore({ outcome: "SUCCESS", attempts: failover, mitigationAttempted: false }),
      FAILOVER_FACTOR
    )
    assert.strictEqual(
      resilienceScore({ outcome: "MITIGATED_SUCCESS", attempts: [a("p", "success")], mitigationAttempted: true }),
      MITIGATION_FACTOR
    )
  })

  it("is in [0, 1], 0 on failure whatever the attempts", () => {
    fc.assert(
      fc.property(successful, fc.constantFrom("SUCCESS", "MITIGATED_SUCCESS", "FAILURE" as const), (s, outcome) => {
        const score = resilienceScore({
          outcome,
          attempts: [...s.before, s.last],
          mitigationAttempted: s.mitigationAttempted
        })
        assert.isAtLeast(score, 0)
        assert.isAtMost(score, 1)
        if (outcome === "FAILURE") assert.strictEqual(score, 0)
      })
    )
  })

  it("adding a failed attempt anywhere before the success never raises it (and always lowers it)", () => {
    fc.assert(
      fc.property(successful, failed, fc.nat(), (s, extra, at) => {
        const attempts = [...s.before, s.last]
        const i = at % (s.before.length + 1)
        const more = [...attempts.slice(0, i), extra, ...attempts.slice(i)]
        const before = resilienceScore({ outcome: "SUCCESS", attempts, mitigationAttempted: s.mitigationAttempted })
        const after = resilienceScore({
          outcome: "SUCCESS",
          attempts: more,
          mitigationAttempted: s.mitigationAttempted
        })
        assert.isBelow(after, before)
      })
    )
  })
})
