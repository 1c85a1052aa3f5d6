/**
 * The providers' reasoning on the Responses wire: streamed as a `reasoning` item
 * (`response.reasoning_text.delta`…) that the `openai` SDK's own accumulator folds into the same
 * item the final `response.completed` carries, with the signature sealed in `encrypted_content`;
 * and a client sending that item back (any replica — the seal travels with the client) gives
 * the next turn's assistant message its reasoning part with the signature and the provider that
 * made it, which is what an Anthropic tool loop needs upstream.
 */
import type { AssistantMessage } from "@am/core"
import { Effect } from "effect"
import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator"
import type { Response, ResponseStreamEvent } from "openai/resources/responses/responses"
import { describe, expect, it } from "vitest"
import { ResponseEventEncoder } from "../src/internal/responses/ResponseEvents.ts"
import { toMessages } from "../src/internal/responses/ResponsesInput.ts"
import { decodeResponsesBody, responsesOutputItems, responsesEnvelope } from "../src/ResponsesWire.ts"

const request = Effect.runSync(decodeResponsesBody({ model: "default", input: "Think", reasoning: { effort: "high" } }))

const events = (sse: string): Array<ResponseStreamEvent> =>
  sse
    .split("\n\n")
    .filter((frame) => frame.length > 0)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n")
      const data = JSON.parse(dataLine!.slice("data: ".length))
      expect(eventLine).toBe(`event: ${data.type}`)
      return data
    })

const assistantOf = (items: ReadonlyArray<unknown>) =>
  Effect.runSync(toMessages(items.map((item, i) => ({ item, path: `input.${i}` }))))[0] as AssistantMessage

describe("reasoning on the Responses wire", () => {
  it("streams a reasoning item the SDK accumulates into the completed response, signature sealed", () => {
    const encoder = new ResponseEventEncoder(
      responsesEnvelope(request, "resp_r1", 1, "claude-sonnet-4-6"),
      "r1",
      () => 2
    )
    let sse = encoder.start()
    sse += encoder.encode({ _tag: "ReasoningDelta", index: 0, text: "Two and two " })
    sse += encoder.encode({ _tag: "ReasoningDelta", index: 0, text: "is four." })
    sse += encoder.encode({ _tag: "ReasoningDelta", index: 0, signature: "EqQBsig", provider: "anthropic" })
    sse += encoder.encode({ _tag: "TextDelta", text: "4" })
    sse += encoder.encode({
      _tag: "Finish",
      finishReason: "stop",
      usage: { inputTokens: 3, outputTokens: 9, totalTokens: 12, reasoningOutputTokens: 7 },
      model: "claude-sonnet-4-6"
    })
    sse += encoder.completed()
    const all = events(sse)
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i))
    expect(all.map((e) => e.type)).toContain("response.reasoning_text.delta")
    let snapshot: Response | undefined
    for (const e of all) snapshot = accumulateResponse(e, snapshot as Response) as Response
    const completed = (all.at(-1) as { response: Response }).response
    expect(completed.output.map((o) => o.type)).toEqual(["reasoning", "message"])
    expect(completed.usage?.output_tokens_details.reasoning_tokens).toBe(7)
    const accumulated = snapshot!.output[0]!
    expect(accumulated).toMatchObject({
      type: "reasoning",
      content: [{ type: "reasoning_text", text: "Two and two is four." }]
    })
    const reasoning = completed.output[0]!
    expect(reasoning.type === "reasoning" && reasoning.encrypted_content).toBeTruthy()
    expect(JSON.stringify(reasoning)).not.toContain("EqQBsig")
    const back = assistantOf([reasoning, completed.output[1]])
    expect(back.reasoning).toEqual([
      { type: "reasoning", text: "Two and two is four.", signature: "EqQBsig", provider: "anthropic" }
    ])
    expect(back.content).toBe("4")
  })

  it("a JSON answer's reasoning item round-trips its redacted data; foreign encrypted content stays text only", () => {
    const items = responsesOutputItems("r2", {
      text: "",
      toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: "{}" }],
      reasoning: [{ type: "reasoning", text: "", redactedData: "opaque==", provider: "anthropic" }],
      finishReason: "tool_calls"
    })
    expect(items.map((i) => i.type)).toEqual(["reasoning", "function_call"])
    const back = assistantOf(items)
    expect(back.reasoning).toEqual([{ type: "reasoning", text: "", redactedData: "opaque==", provider: "anthropic" }])
    expect(back.toolCalls).toEqual([{ id: "toolu_1", name: "get_weather", arguments: "{}" }])
    const foreign = assistantOf([
      {
        type: "reasoning",
        id: "rs_x",
        summary: [{ type: "summary_text", text: "Thought." }],
        encrypted_content: "gAAAA-openai"
      },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi", annotations: [] }] }
    ])
    expect(foreign.reasoning).toEqual([{ type: "reasoning", text: "Thought." }])
  })
})
