/**
 * Engine chunks as Anthropic's Messages event stream: `message_start`, `ping`, then per content
 * block `content_block_start` / `content_block_delta`s / `content_block_stop` with indices 0, 1,
 * … in order (thinking, text and `tool_use` blocks; one open at a time), `message_delta` with the
 * stop reason and usage, and `message_stop` — which the route sends only after the ledger entry is
 * written. A new block starts whenever the kind of content changes (text after a tool call is a
 * new text block), as Anthropic's own streams do.
 */
import type { CompletionChunk } from "@am/core"
import { messageId } from "../../AnthropicWire.ts"
import { stopReasonOf, usageOf } from "./StopAndUsage.ts"
import { wireItemsOf } from "../WireItems.ts"

/** An SSE frame with its event name, as Anthropic sends them. */
export const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

type Open =
  | { readonly kind: "text" }
  | { readonly kind: "thinking"; readonly index: number; readonly provider?: string | undefined }
  | { readonly kind: "tool"; readonly index: number }

/** One encoder per response. */
export class MessageStreamEncoder {
  private block = -1
  private open: Open | undefined
  /** Whether the `Finish` chunk was encoded (only then may `message_stop` follow). */
  finished = false
  private readonly id: string
  private readonly model: string
  private readonly estimatedInputTokens: number
  private readonly stopSequences: ReadonlyArray<string> | null | undefined

  constructor(options: {
    readonly requestId: string
    readonly model: string
    /** `message_start`'s `input_tokens` (the count is only known at the end; `message_delta` has it). */
    readonly estimatedInputTokens: number
    readonly stopSequences?: ReadonlyArray<string> | null | undefined
  }) {
    this.id = messageId(options.requestId)
    this.model = options.model
    this.estimatedInputTokens = options.estimatedInputTokens
    this.stopSequences = options.stopSequences
  }

  /** `message_start` and a `ping`. */
  start(): string {
    return (
      sse("message_start", {
        type: "message_start",
        message: {
          id: this.id,
          type: "message",
          role: "assistant",
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          container: null,
          usage: {
            input_tokens: this.estimatedInputTokens,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0
          }
        }
      }) + sse("ping", { type: "ping" })
    )
  }

  /** `message_stop`: the caller's, after the ledger entry is written. */
  stop(): string {
    return sse("message_stop", { type: "message_stop" })
  }

  private close(): string {
    if (this.open === undefined) return ""
    this.open = undefined
    return sse("content_block_stop", { type: "content_block_stop", index: this.block })
  }

  private begin(open: Open, contentBlock: unknown): string {
    const closed = this.close()
    this.block++
    this.open = open
    return (
      closed +
      sse("content_block_start", { type: "content_block_start", index: this.block, content_block: contentBlock })
    )
  }

  private delta(delta: unknown): string {
    return sse("content_block_delta", { type: "content_block_delta", index: this.block, delta })
  }

  /** The SSE text for one engine chunk. */
  encode(chunk: CompletionChunk): string {
    switch (chunk._tag) {
      case "TextDelta": {
        if (chunk.text.length === 0) return ""
        const head = this.open?.kind === "text" ? "" : this.begin({ kind: "text" }, { type: "text", text: "" })
        return head + this.delta({ type: "text_delta", text: chunk.text })
      }
      case "ReasoningDelta": {
        // Another provider's redacted reasoning has no Anthropic form; its text (none) is all there is.
        if (chunk.redactedData !== undefined && chunk.provider === "anthropic") {
          return (
            this.begin(
              { kind: "thinking", index: chunk.index },
              { type: "redacted_thinking", data: chunk.redactedData }
            ) + this.close()
          )
        }
        const same = this.open?.kind === "thinking" && this.open.index === chunk.index
        let out = same
          ? ""
          : this.begin({ kind: "thinking", index: chunk.index }, { type: "thinking", thinking: "", signature: "" })
        if (chunk.text !== undefined && chunk.text.length > 0) {
          out += this.delta({ type: "thinking_delta", thinking: chunk.text })
        }
        // Only Anthropic's own signature is returned: another provider's would fail its verification.
        if (chunk.signature !== undefined && chunk.provider === "anthropic") {
          out += this.delta({ type: "signature_delta", signature: chunk.signature })
        }
        return out
      }
      case "ToolCallDelta": {
        const same = this.open?.kind === "tool" && this.open.index === chunk.index
        let out = same
          ? ""
          : this.begin(
              { kind: "tool", index: chunk.index },
              { type: "tool_use", id: chunk.id ?? `toolu_${this.id}_${chunk.index}`, name: chunk.name ?? "", input: {} }
            )
        if (chunk.argumentsDelta !== undefined && chunk.argumentsDelta.length > 0) {
          out += this.delta({ type: "input_json_delta", partial_json: chunk.argumentsDelta })
        }
        return out
      }
      case "Finish": {
        this.finished = true
        const stop = stopReasonOf(chunk, this.stopSequences)
        // An Anthropic upstream's server-tool blocks arrive whole with the finish: each is started
        // and stopped after the streamed blocks (its index follows them).
        let blocks = this.close()
        for (const w of wireItemsOf(chunk.wireItems, "anthropic.messages")) {
          this.block++
          blocks +=
            sse("content_block_start", { type: "content_block_start", index: this.block, content_block: w.item }) +
            sse("content_block_stop", { type: "content_block_stop", index: this.block })
        }
        return (
          blocks +
          sse("message_delta", {
            type: "message_delta",
            delta: { stop_reason: stop.reason, stop_sequence: stop.sequence },
            usage: usageOf(chunk.usage)
          })
        )
      }
    }
  }
}
