/**
 * The client's Responses body made ready for an OpenAI upstream when its input is not the whole
 * conversation in the provider's terms: after a `previous_response_id` (the history is in the
 * gateway's store) or with items the gateway answered with (its ids, its sealed reasoning). The
 * input becomes the stored history then the client's own items, each as the upstream can take it —
 * the gateway's `message` / `function_call` ids left off (the upstream, asked with `store: false`,
 * never stored them), a reasoning item the gateway sealed opened back into OpenAI's own id and
 * encrypted content (another provider's reasoning means nothing to OpenAI and is left out), every
 * other item (a custom tool's call and output, a built-in tool's item, a future type) as it is —
 * and `previous_response_id` is removed. Every other field stays the client's, unknown ones too.
 *
 * @example
 * ```ts
 * import { upstreamResponsesBody } from "./UpstreamInput.ts"
 * upstreamResponsesBody({ model: "m", previous_response_id: "resp_1", input: "next" }, [
 *   { id: "msg_1", type: "message", role: "assistant", content: [{ type: "output_text", text: "hi" }] },
 *   { type: "message", role: "user", content: "next" }
 * ])
 * // '{"model":"m","input":[{"type":"message","role":"assistant",…},{"type":"message","role":"user","content":"next"}]}'
 * ```
 */
import { isSealed, unsealReasoning } from "./ReasoningSeal.ts"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** One input item as an OpenAI upstream can take it (none: nothing it could use). */
export const upstreamItem = (item: unknown): ReadonlyArray<unknown> => {
  if (!isRecord(item)) return [item]
  const type = item.type ?? "message"
  if (type === "message" || type === "function_call" || type === "function_call_output") {
    const { id: _gatewayId, ...rest } = item
    return [rest]
  }
  if (type === "reasoning") {
    const encrypted = item.encrypted_content
    // The client's own (unsealed) OpenAI reasoning goes as it came.
    if (!isSealed(encrypted)) return typeof encrypted === "string" ? [item] : []
    const part = unsealReasoning("", encrypted)
    if (part.provider !== "openai" || part.redactedData === undefined) return []
    return [
      {
        type: "reasoning",
        ...(part.signature !== undefined ? { id: part.signature } : {}),
        summary: [],
        encrypted_content: part.redactedData
      }
    ]
  }
  return [item]
}

/** The client's body with `input` as the whole conversation for the upstream and no `previous_response_id`. */
export const upstreamResponsesBody = (
  body: Readonly<Record<string, unknown>>,
  conversation: ReadonlyArray<unknown>
): string => {
  const { previous_response_id: _stored, ...rest } = body
  return JSON.stringify({ ...rest, input: conversation.flatMap(upstreamItem) })
}
