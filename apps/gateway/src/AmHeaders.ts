/**
 * The `x-am-*` response headers (DESIGN.md "Gateway HTTP"): the request id, the provider and
 * model that answered, how many provider calls it took, and the outcome. Successful answers and
 * engine failures carry them alike.
 *
 * @example
 * ```ts
 * import { amHeaders } from "@am/gateway"
 * amHeaders({ requestId: "r1", provider: "openai", model: "gpt-4o", attempts: 1, outcome: "SUCCESS" })
 * ```
 * @since 0.1.0
 */

/** What the `x-am-*` headers of one answer say. */
export interface AmHeadersInput {
  readonly requestId: string
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly attempts: number
  readonly outcome: string
}

export const amHeaders = (h: AmHeadersInput): Record<string, string> => ({
  "x-am-request-id": h.requestId,
  ...(h.provider !== undefined ? { "x-am-provider": h.provider } : {}),
  ...(h.model !== undefined ? { "x-am-model": h.model } : {}),
  "x-am-attempts": String(h.attempts),
  "x-am-outcome": h.outcome
})

/** Provider calls made (a candidate skipped for an open circuit is an attempt record, not a call). */
export const calls = (attempts: ReadonlyArray<{ readonly outcome: string }>): number =>
  attempts.filter((a) => a.outcome !== "skipped").length
