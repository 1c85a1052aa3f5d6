/**
 * Same-wire passthrough for the Anthropic adapter: a request that arrived as Anthropic Messages
 * (`request.passthrough.wire === "anthropic.messages"`) is sent as the client's own JSON, model
 * substituted, through the same SDK client — so fields the gateway does not know (`cache_control`
 * on blocks, `top_k`, `metadata.user_id`, `container`, thinking blocks with their signatures,
 * tomorrow's fields) reach Anthropic byte for byte, while the client's auth, pooled `fetch`, error
 * classes and with them every `ProviderFailure` are those of the translated path.
 *
 * @example
 * ```ts
 * import { sameWireMessagesBody } from "@am/provider-anthropic"
 * import { Redacted } from "effect"
 * const messages = [{ role: "user" as const, content: "Hi" }]
 * const body = sameWireMessagesBody(
 *   { messages, passthrough: { wire: "anthropic.messages", body: Redacted.make('{"model":"fast","max_tokens":64,"top_k":5,"messages":[{"role":"user","content":"Hi"}]}'), messages } },
 *   "claude-sonnet-4-6",
 *   { stream: false }
 * )
 * // '{"model":"claude-sonnet-4-6","max_tokens":64,"top_k":5,"messages":[…]}'
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest } from "@am/core"
import { passthroughBody, topLevelText } from "@am/provider-utils"
import type Anthropic from "@anthropic-ai/sdk"
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages"
import type { Stream as AnthropicStream } from "@anthropic-ai/sdk/streaming"
import { Redacted } from "effect"
import { type RequestTranslationOptions, toMessageParams } from "./RequestTranslation.ts"

/** What a same-wire body is sent for. */
export interface SameWireOptions extends RequestTranslationOptions {
  readonly stream: boolean
}

/**
 * The body a same-wire call sends, or `undefined` when the request carries no Messages body
 * (then the adapter translates). `stream` is made to match the call. When a guard or mitigation
 * changed the messages, `system` and `messages` are the adapter's translation of them (a
 * redaction is never bypassed); every other field stays the client's.
 */
export const sameWireMessagesBody = (
  request: CompletionRequest,
  model: string,
  options: SameWireOptions
): string | undefined =>
  hasUnsignedThinking(request)
    ? undefined
    : passthroughBody(request, "anthropic.messages", {
        model,
        messages: () => toMessageParams(request, model, options).messages,
        changed: () => {
          const params = toMessageParams(request, model, options)
          return { system: params.system, messages: params.messages }
        },
        set: (body) => {
          const stream = topLevelText(body, "stream") === "true"
          return stream === options.stream ? {} : { stream: options.stream }
        }
      })

/**
 * Whether the client's messages carry a thinking block with an empty signature — how this gateway
 * renders another provider's reasoning on the Messages wire. Anthropic rejects such a block, so
 * the adapter translates instead (its translation leaves foreign reasoning out, and thinking off
 * for that turn). Parsed only when the body mentions a signature at all.
 */
const hasUnsignedThinking = (request: CompletionRequest): boolean => {
  const carrier = request.passthrough
  if (carrier?.wire !== "anthropic.messages") return false
  const body = Redacted.value(carrier.body)
  if (!body.includes('"signature"')) return false
  const messages = topLevelText(body, "messages")
  if (messages === undefined) return false
  const parsed: unknown = JSON.parse(messages)
  return (
    Array.isArray(parsed) &&
    parsed.some(
      (m) =>
        Array.isArray(m?.content) &&
        m.content.some((b: any) => b?.type === "thinking" && (typeof b.signature !== "string" || b.signature === ""))
    )
  )
}

/** SDK request options of one call (signal, timeout, the forwarded `anthropic-*` headers). */
export interface SendOptions {
  readonly signal?: AbortSignal | undefined
  readonly timeout: number
  readonly headers?: Record<string, string>
}

/** With this header the SDK sends a string body verbatim (no re-serialisation). */
const JSON_BODY = { "content-type": "application/json" } as const

const withBody = (raw: string, options: SendOptions) => ({
  ...options,
  body: raw,
  headers: { ...JSON_BODY, ...options.headers }
})

/**
 * `messages.create` for the call: the client's own bytes when it came on this wire, the SDK's
 * translation otherwise — one SDK client either way, so its errors map to the same failures.
 */
export const createMessage = (
  client: Anthropic,
  request: CompletionRequest,
  model: string,
  translation: RequestTranslationOptions,
  options: SendOptions
) => {
  const raw = sameWireMessagesBody(request, model, { ...translation, stream: false })
  return raw === undefined
    ? client.messages.create(toMessageParams(request, model, translation), options)
    : client.post<Message>("/v1/messages", withBody(raw, options))
}

/** As {@link createMessage}, streamed (`stream: true`, Anthropic's event stream). */
export const createMessageStream = (
  client: Anthropic,
  request: CompletionRequest,
  model: string,
  translation: RequestTranslationOptions,
  options: SendOptions
) => {
  const raw = sameWireMessagesBody(request, model, { ...translation, stream: true })
  return raw === undefined
    ? client.messages.create({ ...toMessageParams(request, model, translation), stream: true as const }, options)
    : client.post<AnthropicStream<RawMessageStreamEvent>>("/v1/messages", { ...withBody(raw, options), stream: true })
}
