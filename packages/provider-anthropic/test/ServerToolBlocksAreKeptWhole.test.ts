/**
 * An Anthropic answer's server-tool blocks (`server_tool_use`, `web_search_tool_result`, …) have
 * no place in the core completion: they are kept whole for a client of the Messages wire, at their
 * content index — from a whole message, and from a stream (a `server_tool_use`'s input assembled
 * from its `input_json_delta`s) on the `Finish` — while text and tool calls translate as before.
 */
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages"
import { describe, expect, it } from "vitest"
import { fromMessage, makeStreamTranslator } from "../src/index.ts"

const call = { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "news" } }
const result = {
  type: "web_search_tool_result",
  tool_use_id: "srvtoolu_1",
  content: [{ type: "web_search_result", url: "https://example.test", title: "t", encrypted_content: "e" }]
}

describe("server-tool blocks", () => {
  it("a whole message keeps them at their index", () => {
    const c = fromMessage({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-6",
      content: [call, result, { type: "text", text: "Here is the news.", citations: null }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 5 }
    } as unknown as Message)
    expect(c.message.content).toBe("Here is the news.")
    expect(c.wireItems).toEqual([
      { wire: "anthropic.messages", index: 0, item: call },
      { wire: "anthropic.messages", index: 1, item: result }
    ])
  })

  it("with citations on a text block, every text block is kept too (the core text has no place for them)", () => {
    const cited = {
      type: "text",
      text: "Here is the news.",
      citations: [{ type: "web_search_result_location", url: "https://example.test", cited_text: "news" }]
    }
    const c = fromMessage({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-6",
      content: [call, result, cited],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 5 }
    } as unknown as Message)
    expect(c.message.content).toBe("Here is the news.")
    expect(c.wireItems?.map((w) => w.index)).toEqual([0, 1, 2])
    expect(c.wireItems?.[2]?.item).toEqual(cited)
  })

  it("a stream assembles a server_tool_use's input and puts both blocks on the Finish", () => {
    const t = makeStreamTranslator("claude-sonnet-4-6")
    const events = [
      { type: "message_start", message: { id: "msg_1", model: "claude-sonnet-4-6", usage: { input_tokens: 3 } } },
      { type: "content_block_start", index: 0, content_block: { ...call, input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"query":' } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '"news"}' } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: result },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Here is the news." } },
      { type: "content_block_stop", index: 2 },
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } },
      { type: "message_stop" }
    ] as unknown as ReadonlyArray<RawMessageStreamEvent>
    const chunks = events.flatMap((e) => t.push(e))
    expect(chunks.filter((c) => c._tag === "TextDelta")).toEqual([{ _tag: "TextDelta", text: "Here is the news." }])
    const finish = chunks.at(-1)!
    expect(finish._tag === "Finish" && finish.wireItems).toEqual([
      { wire: "anthropic.messages", index: 0, item: call },
      { wire: "anthropic.messages", index: 1, item: result }
    ])
  })
})
