/**
 * Scoring of one fault scenario from what the client saw and what the upstreams saw. Pure: the
 * runner gathers the observations, this decides pass / partial / safe / fail and the conduct checks.
 *
 * - `pass`: every request ended as the scenario expects (the whole answer, or an honest error with
 *   an expected code) and every conduct check holds.
 * - `partial`: the answers arrived whole, but a non-fatal conduct check failed (Retry-After not
 *   honoured, a recovered primary not used again in time).
 * - `safe`: some request ended with an honest error where an answer was possible — never a
 *   truncated answer presented as complete.
 * - `fail`: a truncated or wrong answer presented as success, unbounded attempts, hammering of the
 *   failing upstream, or a gateway that is not alive afterwards.
 */
import { FAULT_REPLY, type FaultScenario, type LoggedRequest } from "@am/simulator"

/** Token usage as the client read it (`usage` of the JSON body, or of a stream's last chunk). */
export interface ClientUsage {
  readonly promptTokens: number
  readonly completionTokens: number
  readonly totalTokens: number
}

/** What the accounting checks need from the gateway's ledger entry of one request. */
export interface LedgerView {
  /** The entry's count of upstream calls. */
  readonly apiCalls: number
  /** Its attempts that reached an upstream (not skipped). */
  readonly calls: number
  /** The usage of each billed attempt. */
  readonly billed: ReadonlyArray<{ readonly inputTokens: number; readonly outputTokens: number }>
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number }
  readonly costUsd?: number
  /** The billed attempts priced as the gateway prices them, summed. */
  readonly pricedCostUsd?: number
  /** A continued stream's segments: characters from each, and whether it was cut. */
  readonly segments?: ReadonlyArray<{ readonly outputChars: number; readonly cut: boolean }>
}

/** How one request through the gateway ended, as the client saw it. */
export interface ClientResult {
  readonly startedAt: number
  readonly status: number
  /** The whole text the client received (JSON content, or the concatenated stream deltas). */
  readonly text: string
  /** JSON: `choices[0].finish_reason`; stream: the last finish_reason seen. */
  readonly finishReason?: string
  /** Stream only: `data: [DONE]` arrived. */
  readonly done?: boolean
  /** The error code, from the error body or an in-stream error event. */
  readonly errorCode?: string
  /** The error's message, when it carried one. */
  readonly errorMessage?: string
  readonly provider?: string
  /** The `x-am-attempts` header. */
  readonly attempts?: number
  /** The `x-request-id` header. */
  readonly requestId?: string
  /** Upstream calls this request caused, from the upstreams' logs. */
  readonly calls?: number
  /** Upstream calls it had caused when the response headers arrived (what `x-am-attempts` can know). */
  readonly callsAtHeaders?: number
  readonly usage?: ClientUsage
  /** The ledger entry, when the runner reads the ledger (`null`: none was written). */
  readonly ledger?: LedgerView | null
  /** The request never got an answer (transport failure or the runner's own timeout). */
  readonly transportError?: string
}

export type Verdict = "pass" | "partial" | "safe" | "fail"

export interface Check {
  readonly name:
    | "no truncated success"
    | "bounded attempts"
    | "no hammering"
    | "Retry-After honoured"
    | "back on primary"
    | "alive after"
    | "failover accounting"
  readonly ok: boolean
  readonly detail: string
}

export interface ScenarioScore {
  readonly id: string
  readonly title: string
  readonly verdict: Verdict
  readonly answered: number
  readonly honestErrors: number
  readonly requests: number
  readonly primaryCalls: number
  readonly fallbackCalls: number
  readonly checks: ReadonlyArray<Check>
  readonly note?: string
}

export interface Observations {
  readonly results: ReadonlyArray<ClientResult>
  readonly primary: ReadonlyArray<LoggedRequest>
  readonly fallback: ReadonlyArray<LoggedRequest>
  readonly aliveAfter: boolean
  /** Epoch ms at which the flapping primary became healthy. */
  readonly recoveredAt?: number
}

/** The most upstream calls one request may cause (a careful gateway's attempt budget, with room). */
export const MAX_ATTEMPTS_PER_REQUEST = 10

const isWhole = (r: ClientResult) =>
  r.status === 200 && r.text === FAULT_REPLY && r.finishReason === "stop" && r.done !== false

const isHonestError = (r: ClientResult) =>
  r.transportError === undefined && (r.status !== 200 || r.errorCode !== undefined)

/** A 200 whose text is not the whole answer and that carried no error: a truncation presented as success. */
const isTruncatedSuccess = (r: ClientResult) => r.status === 200 && r.errorCode === undefined && !isWhole(r)

const sameUsage = (c: ClientUsage, l: { readonly inputTokens: number; readonly outputTokens: number }) =>
  c.promptTokens === l.inputTokens && c.completionTokens === l.outputTokens

/**
 * What is wrong with one request's accounting: the attempts header against the upstream calls made
 * by then, the ledger's calls against the upstreams' logs, the client's usage against the entry,
 * and the entry's usage and cost against the sum of its billed attempts.
 */
export const accountingProblems = (r: ClientResult): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const seen = r.callsAtHeaders ?? r.calls
  if (r.attempts === undefined) problems.push("no x-am-attempts header")
  else if (seen !== undefined && r.attempts !== seen)
    problems.push(`x-am-attempts ${r.attempts}, upstream calls by the headers ${seen}`)
  if (r.ledger === null) problems.push("no ledger entry")
  if (r.ledger === undefined || r.ledger === null) return problems
  const l = r.ledger
  if (r.calls !== undefined && (l.apiCalls !== r.calls || l.calls !== r.calls))
    problems.push(`ledger apiCalls ${l.apiCalls} / attempts ${l.calls}, upstream calls ${r.calls}`)
  if (r.status === 200 && r.errorCode === undefined) {
    if (l.usage === undefined) problems.push("answered, but the ledger has no usage")
    else {
      const sum = l.billed.reduce(
        (a, u) => ({ inputTokens: a.inputTokens + u.inputTokens, outputTokens: a.outputTokens + u.outputTokens }),
        { inputTokens: 0, outputTokens: 0 }
      )
      if (sum.inputTokens !== l.usage.inputTokens || sum.outputTokens !== l.usage.outputTokens)
        problems.push(
          `ledger usage ${l.usage.inputTokens}+${l.usage.outputTokens}, its billed attempts sum to ${sum.inputTokens}+${sum.outputTokens}`
        )
      if (r.usage === undefined) problems.push("answered without usage")
      else if (!sameUsage(r.usage, l.usage))
        problems.push(
          `client usage ${r.usage.promptTokens}+${r.usage.completionTokens}, ledger ${l.usage.inputTokens}+${l.usage.outputTokens}`
        )
    }
    if (l.pricedCostUsd !== undefined && Math.abs((l.costUsd ?? 0) - l.pricedCostUsd) > 1e-9)
      problems.push(`ledger cost ${l.costUsd ?? "none"}, its billed attempts price at ${l.pricedCostUsd}`)
  }
  if (l.segments !== undefined && l.segments.length > 1) {
    const chars = l.segments.reduce((a, s) => a + s.outputChars, 0)
    if (r.status === 200 && r.errorCode === undefined && chars !== r.text.length)
      problems.push(`segments carry ${chars} chars, the client received ${r.text.length}`)
  }
  return problems
}

export const scoreScenario = (scenario: FaultScenario, o: Observations): ScenarioScore => {
  const checks: Array<Check> = []
  const truncated = o.results.filter(isTruncatedSuccess)
  checks.push({
    name: "no truncated success",
    ok: truncated.length === 0,
    detail:
      truncated.length === 0
        ? "every 200 carried the whole answer"
        : `${truncated.length} answer(s) presented as complete but short (${truncated[0]!.text.length}/${FAULT_REPLY.length} chars)`
  })
  const calls = o.primary.length + o.fallback.length
  const bound = o.results.length * MAX_ATTEMPTS_PER_REQUEST
  checks.push({
    name: "bounded attempts",
    ok: calls <= bound,
    detail: `${calls} upstream calls for ${o.results.length} requests (bound ${bound})`
  })

  // A failing upstream should see a few attempts per request at most, then the breaker's probes.
  const failingCalls = scenario.flapping
    ? o.primary.filter((r) => o.recoveredAt === undefined || r.at < o.recoveredAt).length
    : o.primary.filter((r) => r.status !== 200).length
  const hammerLimit = scenario.flapping
    ? Math.ceil(o.results.filter((r) => o.recoveredAt === undefined || r.startedAt < o.recoveredAt).length * 0.75)
    : o.results.length * 4
  checks.push({
    name: "no hammering",
    ok: failingCalls <= Math.max(hammerLimit, 3),
    detail: `${failingCalls} calls to the failing primary (limit ${Math.max(hammerLimit, 3)})`
  })

  if (scenario.retryAfterMs !== undefined) {
    const early = o.primary.filter((r, i) =>
      o.primary
        .slice(0, i)
        .some((p) => p.status === 429 && p.key === r.key && p.model === r.model && r.at - p.at < scenario.retryAfterMs!)
    )
    checks.push({
      name: "Retry-After honoured",
      ok: early.length === 0,
      detail:
        early.length === 0
          ? `no key called again within ${scenario.retryAfterMs} ms of its 429`
          : `${early.length} call(s) to a key inside its Retry-After`
    })
  }

  if (scenario.flapping !== undefined) {
    const recovered = o.recoveredAt
    const after = o.results.filter((r) => recovered !== undefined && r.startedAt >= recovered)
    const steady = after.findIndex((_, i) => after.slice(i).every((r) => r.provider === "primary"))
    const backAt = steady < 0 ? undefined : after[steady]!.startedAt
    const within = scenario.flapping.backWithinMs
    checks.push({
      name: "back on primary",
      ok: backAt !== undefined && recovered !== undefined && backAt - recovered <= within,
      detail:
        backAt === undefined || recovered === undefined
          ? "traffic never returned to the primary"
          : `traffic back on the primary ${backAt - recovered} ms after its recovery (bound ${within} ms)`
    })
  }

  if (scenario.accounting === true) {
    const wrong = o.results.map(accountingProblems).filter((p) => p.length > 0)
    checks.push({
      name: "failover accounting",
      ok: wrong.length === 0,
      detail:
        wrong.length === 0
          ? "attempts, usage and cost agree with the upstream calls and the billed attempts"
          : `${wrong.length} request(s): ${wrong[0]!.join("; ")}`
    })
  }

  checks.push({
    name: "alive after",
    ok: o.aliveAfter,
    detail: o.aliveAfter ? "a healthy request afterwards was answered" : "the gateway did not answer afterwards"
  })

  // An expected code whose message names the wrong cause (a fallback's prefill 400) is not the expected conduct.
  // An expected error must also name its cause when the scenario says which.
  const wrongCause = (r: ClientResult) =>
    r.errorCode !== undefined &&
    (scenario.expect.notCausedBy?.test(r.errorMessage ?? "") === true ||
      scenario.expect.causedBy?.test(r.errorMessage ?? "") === false)
  const expectedError = (r: ClientResult) =>
    r.errorCode !== undefined && (scenario.expect.orError ?? []).includes(r.errorCode) && !wrongCause(r)
  const answered = o.results.filter(isWhole).length
  const honest = o.results.filter((r) => !isWhole(r) && isHonestError(r)).length
  const asExpected = o.results.every((r) => isWhole(r) || expectedError(r))
  const fatal = checks.some(
    (c) =>
      !c.ok &&
      (c.name === "no truncated success" ||
        c.name === "bounded attempts" ||
        c.name === "no hammering" ||
        c.name === "alive after" ||
        c.name === "failover accounting")
  )
  const soft = checks.some((c) => !c.ok && (c.name === "Retry-After honoured" || c.name === "back on primary"))
  const unanswered = o.results.filter((r) => !isWhole(r) && !isHonestError(r)).length
  const verdict: Verdict =
    fatal || unanswered > 0 ? "fail" : asExpected ? (soft ? "partial" : "pass") : honest > 0 ? "safe" : "fail"
  return {
    id: scenario.id,
    title: scenario.title,
    verdict,
    answered,
    honestErrors: honest,
    requests: o.results.length,
    primaryCalls: o.primary.length,
    fallbackCalls: o.fallback.length,
    checks,
    ...(verdict !== "pass" && scenario.needs !== undefined
      ? { note: `needs ${scenario.needs}` }
      : o.results.some(wrongCause)
        ? { note: `the error names the wrong cause: ${o.results.find(wrongCause)!.errorMessage}` }
        : {})
  }
}

/** The scorecard as text: one line per scenario, its failed checks below it, and the totals. */
export const formatScorecard = (scores: ReadonlyArray<ScenarioScore>): string => {
  const lines = scores.map((s) => {
    const head = `${s.verdict.toUpperCase().padEnd(8)} ${s.id.padEnd(24)} answered ${s.answered}/${s.requests}  errors ${s.honestErrors}  upstream ${s.primaryCalls}+${s.fallbackCalls}`
    const failed = s.checks.filter((c) => !c.ok).map((c) => `         ✗ ${c.name}: ${c.detail}`)
    return [head, ...failed, ...(s.note !== undefined ? [`         · ${s.note}`] : [])].join("\n")
  })
  const count = (v: Verdict) => scores.filter((s) => s.verdict === v).length
  lines.push(
    "",
    `${count("pass")} pass, ${count("partial")} partial, ${count("safe")} safe, ${count("fail")} fail (${scores.length} scenarios)`
  )
  return lines.join("\n")
}
