import type { ProviderFailure } from "@am/core"

/** A test on a failure. Each reads one field defensively: a rule must never throw. */
export type Predicate = (failure: ProviderFailure) => boolean

export const kind =
  (...kinds: ReadonlyArray<string>): Predicate =>
  (f) =>
    kinds.includes(f.kind)

export const status =
  (...codes: ReadonlyArray<number>): Predicate =>
  (f) =>
    typeof f.status === "number" && codes.includes(f.status)

export const statusIn =
  (from: number, to: number): Predicate =>
  (f) =>
    typeof f.status === "number" && f.status >= from && f.status <= to

/** Provider error type: OpenAI/Anthropic `error.type`, Gemini `error.status`. */
export const type =
  (...types: ReadonlyArray<string>): Predicate =>
  (f) =>
    typeof f.errorType === "string" && types.includes(f.errorType)

/** Provider error code: OpenAI `error.code`, Anthropic `error.details.error_code`, Gemini `ErrorInfo.reason`. */
export const code =
  (...codes: ReadonlyArray<string>): Predicate =>
  (f) =>
    typeof f.errorCode === "string" && codes.includes(f.errorCode)

export const message =
  (pattern: RegExp): Predicate =>
  (f) =>
    typeof f.message === "string" && pattern.test(f.message)

export const finishReason =
  (...reasons: ReadonlyArray<string>): Predicate =>
  (f) =>
    typeof f.finishReason === "string" && reasons.includes(f.finishReason)

/** A Gemini prompt block; `BLOCKED_REASON_UNSPECIFIED` is the proto default and means "not blocked". */
export const hasBlockReason: Predicate = (f) =>
  typeof f.blockReason === "string" && f.blockReason !== "" && f.blockReason !== "BLOCKED_REASON_UNSPECIFIED"

/**
 * Gemini quota hints: `QuotaFailure.violations[].quotaId` / `quotaMetric`, which the adapter puts in
 * `rateLimit["quota-id"]` / `rateLimit["quota-metric"]` (or in `errorCode` when no `ErrorInfo.reason`
 * exists), and whatever of them the message quotes.
 */
export const quotaHints = (f: ProviderFailure): ReadonlyArray<string> => {
  const hints: Array<string> = []
  if (typeof f.errorCode === "string") hints.push(f.errorCode)
  if (typeof f.message === "string") hints.push(f.message)
  if (f.rateLimit !== undefined && f.rateLimit !== null && typeof f.rateLimit === "object") {
    for (const [k, v] of Object.entries(f.rateLimit)) {
      if (typeof v === "string" && k.toLowerCase().includes("quota")) hints.push(v)
    }
  }
  return hints
}

export const quotaHint =
  (pattern: RegExp): Predicate =>
  (f) =>
    quotaHints(f).some((h) => pattern.test(h))

export const all =
  (...ps: ReadonlyArray<Predicate>): Predicate =>
  (f) =>
    ps.every((p) => p(f))

export const any =
  (...ps: ReadonlyArray<Predicate>): Predicate =>
  (f) =>
    ps.some((p) => p(f))
