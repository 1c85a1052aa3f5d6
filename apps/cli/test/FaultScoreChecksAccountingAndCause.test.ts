// The scorecard's pure rules for the failover-accounting scenario and for an error that must name
// its cause: a gateway whose numbers disagree with what the upstreams saw fails, one that agrees
// passes, and a cut reported as the fallback's 400 is not the expected conduct.
import { FAULT_REPLY, FaultScenarios, type LoggedRequest } from "@am/simulator"
import { assert, describe, it } from "@effect/vitest"
import { accountingProblems, type ClientResult, scoreScenario } from "../src/FaultScore.ts"

const scenario = (id: string) => FaultScenarios.find((s) => s.id === id)!

const logged = (status: number): LoggedRequest =>
  ({
    at: 0,
    method: "POST",
    path: "/v1/chat/completions",
    model: "m",
    key: "k",
    stream: true,
    prompt: "p",
    status
  }) as LoggedRequest

// A stream cut after the headers and continued on the fallback: one call by the headers, two in all.
const continued: ClientResult = {
  startedAt: 0,
  status: 200,
  text: FAULT_REPLY,
  finishReason: "stop",
  done: true,
  attempts: 1,
  calls: 2,
  callsAtHeaders: 1,
  usage: { promptTokens: 30, completionTokens: 20, totalTokens: 50 },
  ledger: {
    apiCalls: 2,
    calls: 2,
    billed: [
      { inputTokens: 10, outputTokens: 5 },
      { inputTokens: 20, outputTokens: 15 }
    ],
    usage: { inputTokens: 30, outputTokens: 20 },
    costUsd: 0.003,
    pricedCostUsd: 0.003,
    segments: [
      { outputChars: 10, cut: true },
      { outputChars: FAULT_REPLY.length - 10, cut: false }
    ]
  }
}

describe("the scorecard checks failover accounting and the cause an error names", () => {
  it("agreeing numbers have no problem; each disagreement is named", () => {
    assert.deepStrictEqual(accountingProblems(continued), [])
    const wrongHeader = accountingProblems({ ...continued, attempts: 2 })
    assert.match(wrongHeader.join(), /x-am-attempts 2, upstream calls by the headers 1/)
    // The client was told only the continuation's usage: not what was billed.
    const wrongUsage = accountingProblems({
      ...continued,
      usage: { promptTokens: 20, completionTokens: 15, totalTokens: 35 }
    })
    assert.match(wrongUsage.join(), /client usage 20\+15, ledger 30\+20/)
    const unbilled = accountingProblems({
      ...continued,
      ledger: { ...continued.ledger!, usage: { inputTokens: 20, outputTokens: 15 }, costUsd: 0.002 }
    })
    assert.match(unbilled.join(), /billed attempts sum to 30\+20/)
    assert.match(unbilled.join(), /ledger cost 0.002, its billed attempts price at 0.003/)
    assert.match(accountingProblems({ ...continued, ledger: null }).join(), /no ledger entry/)
    assert.match(
      accountingProblems({ ...continued, ledger: { ...continued.ledger!, apiCalls: 1 } }).join(),
      /apiCalls 1/
    )
  })

  it("the accounting scenario fails on a wrong count and passes on a right one", () => {
    const s = scenario("failover-accounting")
    const base = { primary: [logged(200), logged(500)], fallback: [logged(200)], aliveAfter: true }
    const good = scoreScenario(s, { ...base, results: [continued, continued, continued] })
    assert.strictEqual(good.verdict, "pass", JSON.stringify(good.checks))
    const bad = scoreScenario(s, { ...base, results: [continued, { ...continued, attempts: 3 }, continued] })
    assert.strictEqual(bad.verdict, "fail")
    assert.isFalse(bad.checks.find((c) => c.name === "failover accounting")!.ok)
  })

  it("a cut that ends naming the fallback's prefill 400, or no cause at all, is not the expected error", () => {
    const s = scenario("no-prefill-fallback")
    const base = { primary: [logged(200)], fallback: [logged(400)], aliveAfter: true }
    const ended = (errorMessage: string): ClientResult => ({
      startedAt: 0,
      status: 200,
      text: FAULT_REPLY.slice(0, 10),
      errorCode: "stream_interrupted",
      errorMessage
    })
    const honest = scoreScenario(s, {
      ...base,
      results: [ended("the upstream stream ended without a finish (connection closed)")]
    })
    assert.strictEqual(honest.verdict, "pass", JSON.stringify(honest))
    const wrong = scoreScenario(s, {
      ...base,
      results: [ended("400 invalid_request_error: This model does not support assistant message prefill")]
    })
    assert.notStrictEqual(wrong.verdict, "pass")
    assert.match(wrong.note ?? "", /wrong cause/)
    const unnamed = scoreScenario(s, { ...base, results: [ended("stream failed")] })
    assert.notStrictEqual(unnamed.verdict, "pass")
  })
})
