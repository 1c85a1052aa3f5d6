/**
 * The `x-am-*` response headers (DESIGN.md "Gateway HTTP"): the request id, the provider and
 * model that answered, how many provider calls it took, and the outcome. Successful answers and
 * engine failures carry them alike, with the request id also as `x-request-id` (what the
 * official SDKs expose as `request_id` / `_request_id`).
 *
 * @example
 * ```ts
 * import { amHeaders } from "@am/gateway"
 * amHeaders({ requestId: "r1", provider: "openai", model: "gpt-4o", attempts: 1, outcome: "SUCCESS" })
 * ```
 * @since 0.1.0
 */
import { type GuardVerdict, RequestId } from "@am/core"

/** What the `x-am-*` headers of one answer say. */
export interface AmHeadersInput {
  readonly requestId: string
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly attempts: number
  readonly outcome: string
  /** The guards' verdicts: a `flag` verdict is sent as `x-am-guard`. */
  readonly guard?: GuardVerdict | undefined
}

/**
 * `x-am-guard` in the firewall's `flag` mode: the verdict, its score and the rule that fired
 * (`injection=flag; score=0.55; rule=override.ignore_previous`), never content.
 */
export const guardHeader = (g: GuardVerdict | undefined): Record<string, string> =>
  g?.injectionVerdict === "flag"
    ? {
        "x-am-guard": `injection=flag; score=${(g.injectionScore ?? 0).toFixed(2)}${g.injectionRule !== undefined ? `; rule=${g.injectionRule}` : ""}`
      }
    : {}

export const amHeaders = (h: AmHeadersInput): Record<string, string> => ({
  "x-request-id": h.requestId,
  "x-am-request-id": h.requestId,
  ...(h.provider !== undefined ? { "x-am-provider": h.provider } : {}),
  ...(h.model !== undefined ? { "x-am-model": h.model } : {}),
  "x-am-attempts": String(h.attempts),
  "x-am-outcome": h.outcome,
  ...guardHeader(h.guard)
})

/** Provider calls made (a candidate skipped for an open circuit is an attempt record, not a call). */
export const calls = (attempts: ReadonlyArray<{ readonly outcome: string }>): number =>
  attempts.filter((a) => a.outcome !== "skipped").length

/**
 * The `x-am-*` headers of an engine answer, read off its `resilience` (provider calls counted
 * with {@link calls}).
 */
export const resilienceHeaders = (r: {
  readonly requestId: string
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly attempts: ReadonlyArray<{ readonly outcome: string }>
  readonly outcome: string
  readonly guard?: GuardVerdict | undefined
}): Record<string, string> =>
  amHeaders({
    requestId: r.requestId,
    provider: r.provider,
    model: r.model,
    attempts: calls(r.attempts),
    outcome: r.outcome,
    guard: r.guard
  })

/**
 * `x-request-id` and `x-am-request-id` for an answer the engine did not serve (a refused key, a
 * malformed body, the model list): a fresh id in the engine's format, so every answer has one.
 */
export const requestIdHeaders = (requestId: string = RequestId.make()): Record<string, string> => ({
  "x-request-id": requestId,
  "x-am-request-id": requestId
})

/** Set to `true` on an answer that replays an earlier request's stored result (same `Idempotency-Key` and body). */
export const IDEMPOTENT_REPLAY_HEADER = "x-am-idempotent-replay"

/** The response cache: on a request `off` or `refresh`; on an answer `hit`, `miss` or `off`. */
export const CACHE_HEADER = "x-am-cache"
