/**
 * Same-wire passthrough for OpenAI's Responses API: a request that arrived as `POST /v1/responses`
 * (`request.passthrough.wire === "openai.responses"`) is sent to the upstream's `/responses` as
 * the client's own JSON — model substituted — through the same SDK client as every other call,
 * so fields the gateway does not know reach the upstream byte for byte.
 *
 * @example
 * ```ts
 * import { sameWireResponsesBody } from "@am/provider-openai"
 * import { Redacted } from "effect"
 * const messages = [{ role: "user" as const, content: "Hi" }]
 * sameWireResponsesBody(
 *   { messages, passthrough: { wire: "openai.responses", body: Redacted.make('{"model":"fast","input":"Hi","x_future_field":1}'), messages } },
 *   { model: "gpt-4o" }
 * )
 * // '{"store":false,"model":"gpt-4o","input":"Hi","x_future_field":1}'
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest } from "@am/core"
import { passthroughBody, topLevelText } from "@am/provider-utils"
import { Redacted } from "effect"
import { toResponsesInput } from "./ResponsesInput.ts"

/** What a same-wire Responses body is built for. */
export interface ResponsesSameWireOptions {
  /** The concrete model of this attempt. */
  readonly model: string
  /** A streamed call: the body is made to say `stream: true` (a whole answer: `stream: false`). */
  readonly stream?: boolean
}

const asks = (text: string | undefined): boolean => text !== undefined && text !== "null"

/**
 * The body a same-wire Responses call sends, or `undefined` when the request carries no
 * Responses body (the adapter then translates to Chat Completions). The client's text, with:
 *
 * - `model` replaced by the attempt's model;
 * - `input` and `instructions` replaced by the translation of the core messages when those no
 *   longer equal what the body decoded to (a guard's redaction is never bypassed), and always when
 *   the body continues a `previous_response_id` — that id names a response in the gateway's own
 *   store, not the provider's, so it is removed and the whole conversation sent instead;
 * - `store: false`: the gateway keeps the response itself (its `GET /v1/responses/{id}` and
 *   `previous_response_id` read its own store), and the next attempt may go to another provider
 *   or key, where a provider-side copy could never be continued — it would only keep the prompt
 *   at the provider for nothing;
 * - `stream` matching the call.
 *
 * @example
 * ```ts
 * import { sameWireResponsesBody } from "@am/provider-openai"
 * import { Redacted } from "effect"
 * const messages = [{ role: "user" as const, content: "Hi" }]
 * sameWireResponsesBody(
 *   { messages, passthrough: { wire: "openai.responses", body: Redacted.make('{"model":"fast","input":"Hi","store":false}'), messages } },
 *   { model: "gpt-4o", stream: true }
 * )
 * // '{"stream":true,"model":"gpt-4o","input":"Hi","store":false}'
 * ```
 */
export const sameWireResponsesBody = (
  request: CompletionRequest,
  options: ResponsesSameWireOptions
): string | undefined => {
  const carrier = request.passthrough
  if (carrier === undefined || carrier.wire !== "openai.responses") return undefined
  // Without the decoded messages, `passthroughBody` always sends the translation.
  const continued = asks(topLevelText(Redacted.value(carrier.body), "previous_response_id"))
  const effective: CompletionRequest = continued
    ? { ...request, passthrough: { wire: carrier.wire, body: carrier.body } }
    : request
  const stream = options.stream === true
  return passthroughBody(effective, "openai.responses", {
    model: options.model,
    messages: () => toResponsesInput(request.messages).input,
    changed: () => {
      const translated = toResponsesInput(request.messages)
      return {
        input: translated.input,
        instructions: translated.instructions,
        previous_response_id: undefined
      }
    },
    set: (body) => ({
      ...(topLevelText(body, "store") !== "false" ? { store: false } : {}),
      ...(stream && topLevelText(body, "stream") !== "true" ? { stream: true } : {}),
      ...(!stream && asks(topLevelText(body, "stream")) && topLevelText(body, "stream") !== "false"
        ? { stream: false }
        : {})
    })
  })
}
