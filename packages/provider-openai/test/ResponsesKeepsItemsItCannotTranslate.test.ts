/**
 * A same-wire Responses answer's output items the core completion has no place for (a
 * `web_search_call`, a `custom_tool_call`, an `mcp_call`…) are kept whole with their position —
 * on the completion and, streamed, on the `Finish` — so the gateway can hand them back to a
 * client of the same wire; the items the completion does carry are translated as before.
 */
import { describe, expect, it } from "vitest"
import { Result } from "effect"
import { fromResponsesObject, makeResponsesStreamTranslator } from "../src/index.ts"

const search = { id: "ws_1", type: "web_search_call", status: "completed", action: { type: "search", query: "q" } }
const custom = {
  id: "ctc_1",
  type: "custom_tool_call",
  status: "completed",
  call_id: "call_1",
  name: "apply_patch",
  input: "*** Begin Patch"
}
const message = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text: "Found it.", annotations: [] }]
}

describe("Responses items the completion cannot carry", () => {
  it("a whole answer keeps them at their index beside the translated message", () => {
    const r = fromResponsesObject(
      { id: "resp_1", status: "completed", model: "gpt-4o", output: [search, message, custom] },
      { kind: "openai", model: "gpt-4o" }
    )
    const c = Result.getOrThrow(r)
    expect(c.message.content).toBe("Found it.")
    expect(c.wireItems).toEqual([
      { wire: "openai.responses", index: 0, item: search },
      { wire: "openai.responses", index: 2, item: custom }
    ])
  })

  it("an answer of only translated items has none", () => {
    const c = Result.getOrThrow(
      fromResponsesObject({ status: "completed", output: [message] }, { kind: "openai", model: "gpt-4o" })
    )
    expect(c.wireItems).toBeUndefined()
  })

  it("a stream keeps each from its output_item.done and puts them on the Finish", () => {
    const t = makeResponsesStreamTranslator({ kind: "openai", model: "gpt-4o" })
    const pushed = [
      { type: "response.output_item.added", output_index: 0, item: { ...search, status: "in_progress" } },
      { type: "response.web_search_call.completed", output_index: 0, item_id: "ws_1" },
      { type: "response.output_item.done", output_index: 0, item: search },
      { type: "response.output_text.delta", output_index: 1, item_id: "msg_1", delta: "Found it." },
      { type: "response.output_item.done", output_index: 1, item: message },
      { type: "response.output_item.added", output_index: 2, item: { ...custom, input: "" } },
      { type: "response.custom_tool_call_input.delta", output_index: 2, item_id: "ctc_1", delta: "*** Begin" },
      { type: "response.output_item.done", output_index: 2, item: custom },
      { type: "response.completed", response: { status: "completed", usage: { input_tokens: 3, output_tokens: 4 } } }
    ].flatMap((e) => Result.getOrThrow(t.push(e)))
    expect(pushed).toEqual([{ _tag: "TextDelta", text: "Found it." }])
    const finish = Result.getOrThrow(t.finish())
    expect(finish._tag === "Finish" && finish.wireItems).toEqual([
      { wire: "openai.responses", index: 0, item: search },
      { wire: "openai.responses", index: 2, item: custom }
    ])
  })
})
