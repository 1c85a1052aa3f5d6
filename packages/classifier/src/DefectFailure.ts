/**
 * A defect thrown inside a provider adapter — a `TypeError` from a response shape it did not
 * expect, an SDK that changed, a third-party adapter's bug — as the `ProviderFailure` the
 * classifier reads. It classifies as `unknown` (rule `adapter.defect`: provider scope, retryable
 * while nothing reached the caller), so the engine counts it against the provider's breaker and
 * fails over within its attempt limit instead of ending the request.
 *
 * @example
 * ```ts
 * import { classify, defectFailure } from "@am/classifier"
 * const failure = defectFailure(new TypeError("Cannot read properties of undefined (reading 'choices')"), {
 *   provider: "openai",
 *   providerId: "primary",
 *   model: "gpt-4o"
 * })
 * classify(failure) // { class: "unknown", scope: "provider", retryable: true, errorType: "adapter_defect", rule: "adapter.defect" }
 * ```
 * @since 0.1.0
 */
import { ProviderFailure, sanitizeMessage } from "@am/core"
import { ADAPTER_DEFECT } from "./internal/rules/Outcomes.ts"

export { ADAPTER_DEFECT }

/** Where the defect happened, for the failure's identity fields. */
export interface DefectContext {
  /** The adapter's provider kind (`openai`, `anthropic`, `gemini`, `openai-compatible`). */
  readonly provider: string
  readonly providerId?: string
  readonly model?: string
  readonly keyId?: string
  readonly keyFingerprint?: string
  /** Whether output had already reached the caller (a stream after its first token): then no retry. */
  readonly responseBytesReceived?: boolean
  /** The key's secret, scrubbed from the message wherever it occurs. */
  readonly secrets?: ReadonlyArray<string>
}

const describe = (defect: unknown): string => {
  if (defect instanceof Error) return `${defect.name}: ${defect.message}`
  if (typeof defect === "string") return defect
  try {
    return String(defect)
  } catch {
    // An object whose toString throws is still a defect, only a nameless one.
    return "unprintable defect"
  }
}

/**
 * The `ProviderFailure` (kind `decode`, `errorType: "adapter_defect"`) for a defect. Its message
 * names the defect, sanitised (key patterns and `secrets` removed, capped); never its stack.
 */
export const defectFailure = (defect: unknown, context: DefectContext): ProviderFailure =>
  new ProviderFailure({
    provider: context.provider,
    ...(context.providerId !== undefined ? { providerId: context.providerId } : {}),
    ...(context.model !== undefined ? { model: context.model } : {}),
    ...(context.keyId !== undefined ? { keyId: context.keyId } : {}),
    ...(context.keyFingerprint !== undefined ? { keyFingerprint: context.keyFingerprint } : {}),
    kind: "decode",
    errorType: ADAPTER_DEFECT,
    message: sanitizeMessage(`adapter defect: ${describe(defect)}`, context.secrets ?? []),
    responseBytesReceived: context.responseBytesReceived ?? false
  })
