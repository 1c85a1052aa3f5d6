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
import type { CompletionRequest, CrossWireField, PassthroughWire, ProviderKind } from "@am/core"
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

/** The wire each provider kind receives a same-wire request's own body in. */
const SAME_WIRE: Readonly<Record<ProviderKind, ReadonlyArray<PassthroughWire>>> = {
  openai: ["openai.chat", "openai.responses", "openai.embeddings"],
  "openai-compatible": ["openai.chat", "openai.responses", "openai.embeddings"],
  anthropic: ["anthropic.messages"],
  gemini: []
}

/**
 * The engine's `DroppedFields` from the adapters' tables: for the provider that answered, the
 * cross-wire fields of the request its adapter could not send (`unhonouredFieldsOf`, core names:
 * `temperature`, `toolStrict`, `clientMetadata`, …); nothing when it received the client's own
 * body (same-wire passthrough) or is unknown. What `createEngine`'s answers report in
 * `resilience.droppedFields` and their ledger entries record.
 *
 * @example
 * ```ts
 * import { droppedFieldsOf } from "@am/runtime"
 * declare const config: import("@am/runtime").AmConfig
 * droppedFieldsOf(config)({ messages: [{ role: "user", content: "Hi" }], temperature: 0.2 }, "claude") // ["temperature"] for an anthropic provider
 * ```
 */
export const droppedFieldsOf =
  (config: { readonly providers: ReadonlyMap<string, { readonly kind: ProviderKind }> }) =>
  (request: CompletionRequest, providerId: string): ReadonlyArray<string> => {
    const kind = config.providers.get(providerId)?.kind
    if (kind === undefined) return []
    if (request.passthrough !== undefined && SAME_WIRE[kind].includes(request.passthrough.wire)) return []
    return unhonouredFieldsOf(kind, request)
  }
