/**
 * Which cross-wire fields each provider kind's adapter cannot honour, from the adapters' own
 * tables (`unhonouredFields` of each provider package), so a host decides per candidate.
 *
 * @example
 * ```ts
 * import { unhonouredFieldsOf } from "@am/runtime"
 * unhonouredFieldsOf("anthropic", { messages: [{ role: "user", content: "Hi" }], logprobs: true }) // ["logprobs"]
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest, CrossWireField, ProviderKind } from "@am/core"
import { unhonouredFields as anthropic } from "@am/provider-anthropic"
import { unhonouredFields as gemini } from "@am/provider-gemini"
import { unhonouredFields as openai } from "@am/provider-openai"

const BY_KIND: Readonly<Record<ProviderKind, (request: CompletionRequest) => ReadonlyArray<CrossWireField>>> = {
  openai,
  "openai-compatible": openai,
  anthropic,
  gemini
}

/** The fields of `request` an adapter of `kind` would not send (see each adapter's `unhonouredFields`). */
export const unhonouredFieldsOf = (kind: ProviderKind, request: CompletionRequest): ReadonlyArray<CrossWireField> =>
  BY_KIND[kind](request)
