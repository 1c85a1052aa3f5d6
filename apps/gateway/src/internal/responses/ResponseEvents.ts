/**
 * The Responses API event stream for one answer, from the engine's chunks: `response.created`,
 * `response.in_progress`, then per output item `response.output_item.added`, for a message
 * `response.content_part.added` / `response.output_text.delta`… / `response.output_text.done` /
 * `response.content_part.done`, for a function call `response.function_call_arguments.delta`… /
 * `.done`, each closed by `response.output_item.done`, and finally `response.completed` (or
 * `response.incomplete`) carrying the whole response with usage. Every event has the next
 * `sequence_number`; each is an SSE frame with its `event:` name, as OpenAI sends them.
 */
import type { CompletionChunk, FinishReason, ReasoningPart, ToolCall, Usage, WireItem } from "@am/core"
import {
  responsesFinished,
  responsesFunctionCallItem,
  responsesMessageItem,
  type ResponsesOutputItem,
  responsesReasoningItem,
  responsesWireItems,
  type ResponsesEnvelope,
  responsesIds,
  upstreamAnnotations
} from "./ResponseObject.ts"

interface OpenMessage {
  readonly kind: "message"
  readonly outputIndex: number
  readonly id: string
  text: string
}

interface OpenReasoning {
  readonly kind: "reasoning"
  readonly outputIndex: number
  readonly id: string
  part: ReasoningPart
  open: boolean
}

interface OpenCall {
  readonly kind: "call"
  readonly outputIndex: number
  readonly id: string
  callId: string
  name: string
  arguments: string
}

/** Encodes one streamed answer. `finish` holds the final response once the `Finish` chunk was seen. */
export class ResponseEventEncoder {
  private sequence = 0
  private readonly items: Array<OpenMessage | OpenCall | OpenReasoning> = []
  private readonly thoughts = new Map<number, OpenReasoning>()
  private message: OpenMessage | undefined
  private readonly calls = new Map<number, OpenCall>()
  private messages = 0
  private readonly ids: ReturnType<typeof responsesIds>
  /** The finished response (with its output items) once the answer ended. */
  finished:
    | { readonly response: ReturnType<typeof responsesFinished>; readonly output: Array<ResponsesOutputItem> }
    | undefined

  private readonly envelope: ResponsesEnvelope
  /** Unix seconds now (for `completed_at`). */
  private readonly now: () => number

  // Plain fields, not parameter properties: the gateway runs from source under Node's type stripping.
  constructor(envelope: ResponsesEnvelope, requestId: string, now: () => number) {
    this.envelope = envelope
    this.now = now
    this.ids = responsesIds(requestId)
  }

  private frame(type: string, fields: Record<string, unknown>): string {
    const data = { type, ...fields, sequence_number: this.sequence++ }
    return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`
  }

  /** `response.created` and `response.in_progress`. */
  start(): string {
    return (
      this.frame("response.created", { response: this.envelope }) +
      this.frame("response.in_progress", { response: this.envelope })
    )
  }

  private openMessage(): { frames: string; message: OpenMessage } {
    const id = this.messages === 0 ? this.ids.message : `${this.ids.message}_${this.messages}`
    this.messages++
    const message: OpenMessage = { kind: "message", outputIndex: this.items.length, id, text: "" }
    this.items.push(message)
    this.message = message
    const item = { ...responsesMessageItem(id, "", undefined, "in_progress"), content: [] }
    const frames =
      this.frame("response.output_item.added", { output_index: message.outputIndex, item }) +
      this.frame("response.content_part.added", {
        item_id: id,
        output_index: message.outputIndex,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] }
      })
    return { frames, message }
  }

  private closeMessage(m: OpenMessage, status: string, annotations: ReadonlyArray<unknown> = []): string {
    const part = { type: "output_text", text: m.text, annotations, logprobs: [] }
    return (
      this.frame("response.output_text.done", {
        item_id: m.id,
        output_index: m.outputIndex,
        content_index: 0,
        text: m.text,
        logprobs: []
      }) +
      this.frame("response.content_part.done", { item_id: m.id, output_index: m.outputIndex, content_index: 0, part }) +
      this.frame("response.output_item.done", {
        output_index: m.outputIndex,
        item: responsesMessageItem(m.id, m.text, undefined, status, annotations)
      })
    )
  }

  private reasoningPart(r: OpenReasoning) {
    return { type: "reasoning_text", text: r.part.text }
  }

  private closeReasoning(r: OpenReasoning): string {
    if (!r.open) return ""
    r.open = false
    return (
      this.frame("response.reasoning_text.done", {
        item_id: r.id,
        output_index: r.outputIndex,
        content_index: 0,
        text: r.part.text
      }) +
      this.frame("response.content_part.done", {
        item_id: r.id,
        output_index: r.outputIndex,
        content_index: 0,
        part: this.reasoningPart(r)
      }) +
      this.frame("response.output_item.done", {
        output_index: r.outputIndex,
        item: responsesReasoningItem(r.id, r.part, "completed")
      })
    )
  }

  /** Reasoning comes before the answer: its items close once text or a tool call starts. */
  private closeThoughts(): string {
    let out = ""
    for (const r of this.thoughts.values()) out += this.closeReasoning(r)
    return out
  }

  private closeCall(c: OpenCall): string {
    const call: ToolCall = { id: c.callId, name: c.name, arguments: c.arguments }
    return (
      this.frame("response.function_call_arguments.done", {
        item_id: c.id,
        output_index: c.outputIndex,
        name: c.name,
        arguments: c.arguments
      }) +
      this.frame("response.output_item.done", {
        output_index: c.outputIndex,
        item: responsesFunctionCallItem(c.id, call, "completed")
      })
    )
  }

  /** The frames for one engine chunk (the `Finish` chunk closes every open item; `completed` is separate). */
  encode(chunk: CompletionChunk): string {
    switch (chunk._tag) {
      case "TextDelta": {
        let out = this.closeThoughts()
        let m = this.message
        if (m === undefined) {
          const opened = this.openMessage()
          out += opened.frames
          m = opened.message
        }
        m.text += chunk.text
        return (
          out +
          this.frame("response.output_text.delta", {
            item_id: m.id,
            output_index: m.outputIndex,
            content_index: 0,
            delta: chunk.text,
            logprobs: []
          })
        )
      }
      case "ToolCallDelta": {
        let out = this.closeThoughts()
        let c = this.calls.get(chunk.index)
        if (c === undefined) {
          // Text before a tool call is its own finished item; text after it opens a new one.
          if (this.message !== undefined) {
            out += this.closeMessage(this.message, "completed")
            this.message = undefined
          }
          c = {
            kind: "call",
            outputIndex: this.items.length,
            id: this.ids.functionCall(this.calls.size),
            callId: chunk.id ?? `call_${this.ids.functionCall(this.calls.size)}`,
            name: chunk.name ?? "",
            arguments: ""
          }
          this.items.push(c)
          this.calls.set(chunk.index, c)
          out += this.frame("response.output_item.added", {
            output_index: c.outputIndex,
            item: responsesFunctionCallItem(c.id, { id: c.callId, name: c.name, arguments: "" }, "in_progress")
          })
        } else {
          if (chunk.id !== undefined) c.callId = chunk.id
          if (chunk.name !== undefined) c.name = c.name === "" ? chunk.name : c.name
        }
        if (chunk.argumentsDelta !== undefined && chunk.argumentsDelta.length > 0) {
          c.arguments += chunk.argumentsDelta
          out += this.frame("response.function_call_arguments.delta", {
            item_id: c.id,
            output_index: c.outputIndex,
            delta: chunk.argumentsDelta
          })
        }
        return out
      }
      case "ReasoningDelta": {
        let out = ""
        let r = this.thoughts.get(chunk.index)
        if (r === undefined || !r.open) {
          if (r !== undefined) return "" // a late value for a closed block has nowhere to go
          if (this.message !== undefined) {
            out += this.closeMessage(this.message, "completed")
            this.message = undefined
          }
          r = {
            kind: "reasoning",
            outputIndex: this.items.length,
            id: this.ids.reasoning(this.thoughts.size),
            part: { type: "reasoning", text: "" },
            open: true
          }
          this.items.push(r)
          this.thoughts.set(chunk.index, r)
          out +=
            this.frame("response.output_item.added", {
              output_index: r.outputIndex,
              item: { ...responsesReasoningItem(r.id, r.part, "in_progress"), content: [] }
            }) +
            this.frame("response.content_part.added", {
              item_id: r.id,
              output_index: r.outputIndex,
              content_index: 0,
              part: this.reasoningPart(r)
            })
        }
        const p = r.part
        r.part = {
          ...p,
          text: p.text + (chunk.text ?? ""),
          ...(chunk.signature !== undefined ? { signature: (p.signature ?? "") + chunk.signature } : {}),
          ...(chunk.redactedData !== undefined ? { redactedData: (p.redactedData ?? "") + chunk.redactedData } : {}),
          ...(chunk.provider !== undefined ? { provider: chunk.provider } : {})
        }
        if (chunk.text !== undefined && chunk.text.length > 0)
          out += this.frame("response.reasoning_text.delta", {
            item_id: r.id,
            output_index: r.outputIndex,
            content_index: 0,
            delta: chunk.text
          })
        return out
      }
      case "Finish":
        return this.finish(chunk.finishReason, chunk.usage, chunk.model, chunk.wireItems ?? [])
    }
  }

  private finish(reason: FinishReason, usage: Usage, model: string, wireItems: ReadonlyArray<WireItem>): string {
    const status = reason === "length" || reason === "content_filter" ? "incomplete" : "completed"
    let out = this.closeThoughts()
    // An answer that is only upstream items (a custom tool call, say) has no empty message beside them.
    const own = responsesWireItems(wireItems)
    if (this.items.every((i) => i.kind === "reasoning") && own.length === 0) out += this.openMessage().frames
    const output: Array<ResponsesOutputItem> = []
    for (const item of this.items) {
      if (item.kind === "reasoning") {
        output.push(responsesReasoningItem(item.id, item.part, "completed"))
      } else if (item.kind === "message") {
        // The upstream's citations, when the last message's text is the whole of its own.
        const annotations = item === this.message ? upstreamAnnotations(wireItems, item.text) : []
        if (item === this.message) out += this.closeMessage(item, status, annotations)
        output.push(
          responsesMessageItem(item.id, item.text, undefined, item === this.message ? status : "completed", annotations)
        )
      } else {
        out += this.closeCall(item)
        output.push(
          responsesFunctionCallItem(
            item.id,
            { id: item.callId, name: item.name, arguments: item.arguments },
            "completed"
          )
        )
      }
    }
    this.message = undefined
    // A same-wire upstream's own items arrive whole with the finish: each is added and done after
    // the streamed ones (their output_index follows them).
    for (const w of own) {
      const item = w.item as ResponsesOutputItem
      const at = output.length
      out += this.frame("response.output_item.added", { output_index: at, item })
      out += this.frame("response.output_item.done", { output_index: at, item })
      output.push(item)
    }
    const response = responsesFinished({ ...this.envelope, model }, output, reason, usage, this.now())
    this.finished = { response, output }
    return out
  }

  /** `response.completed` (or `response.incomplete`) with the whole response; after `Finish` only. */
  completed(): string {
    const response = this.finished!.response
    return this.frame(response.status === "completed" ? "response.completed" : "response.incomplete", { response })
  }

  /** The `error` event that ends a stream cut after it began (no `response.completed` follows). */
  error(body: {
    readonly error: { readonly message: string; readonly code: string; readonly param: string | null }
  }): string {
    return this.frame("error", { code: body.error.code, message: body.error.message, param: body.error.param })
  }
}
