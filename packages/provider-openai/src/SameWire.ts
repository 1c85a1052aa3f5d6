/**
 * Same-wire passthrough for the OpenAI adapter: a request that arrived as OpenAI Chat
 * Completions (`request.passthrough.wire === "openai.chat"`) is sent as the client's own JSON,
 * model substituted, over the same pooled `fetch` and with the SDK's error classes — a whole
 * answer and a stream without the SDK (`internal/DirectPost.ts`, `internal/DirectStream.ts`)
 * unless a `clientFactory` builds the client — so every `ProviderFailure` is that of the
 * translated path.
 *
 * @example
 * ```ts
 * import { sameWireChatBody } from "@am/provider-openai"
 * import { Redacted } from "effect"
 * const messages = [{ role: "user" as const, content: "Hi" }]
 * const body = sameWireChatBody(
 *   { messages, passthrough: { wire: "openai.chat", body: Redacted.make('{"model":"fast","messages":[{"role":"user","content":"Hi"}],"prediction":{"type":"content","content":"x"}}'), messages } },
 *   { model: "gpt-4o", kind: "openai" }
 * )
 * // '{"model":"gpt-4o","messages":[…],"prediction":{"type":"content","content":"x"}}'
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest } from "@am/core"
import { passthroughBody, topLevelText } from "@am/provider-utils"
import { type RequestTranslationOptions, toChatCompletionRequest } from "./RequestTranslation.ts"

const parsed = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text))

/**
 * The body a same-wire call sends, or `undefined` when the request carries no Chat Completions
 * body (then the adapter translates). Streams are made to say `stream: true` and, unless
 * `includeStreamUsage` is false, to ask for the final usage chunk (`stream_options.include_usage`)
 * — the ledger's tokens and cost come from it; the gateway shows it to the client only if asked.
 */
export const sameWireChatBody = (request: CompletionRequest, options: RequestTranslationOptions): string | undefined =>
  passthroughBody(request, "openai.chat", {
    model: options.model,
    messages: () => toChatCompletionRequest(request, { model: options.model, kind: options.kind }).messages,
    set: (body) => {
      if (options.stream !== true) return {}
      const out: Record<string, unknown> = {}
      if (topLevelText(body, "stream") !== "true") out.stream = true
      const streamOptions = parsed(topLevelText(body, "stream_options"))
      const asked =
        typeof streamOptions === "object" &&
        streamOptions !== null &&
        (streamOptions as { include_usage?: unknown }).include_usage === true
      if ((options.includeStreamUsage ?? true) && !asked) {
        out.stream_options = {
          ...(typeof streamOptions === "object" && streamOptions !== null ? streamOptions : {}),
          include_usage: true
        }
      }
      return out
    }
  })
