/**
 * The clients that speak the Responses API by default, against the gateway behind failover
 * across all three provider kinds: the AI SDK's `@ai-sdk/openai` model factory (`openai(id)` is
 * the Responses model) with `generateText` (also a two-step tool loop) and `streamText`, and
 * LangChain's `ChatOpenAI` with `useResponsesApi: true` (`invoke`, `stream`).
 */
import { createOpenAI } from "@ai-sdk/openai"
import { ChatOpenAI } from "@langchain/openai"
import type { FaultScript } from "@am/testkit"
import { generateText, stepCountIs, streamText, tool } from "ai"
import { afterEach, describe, expect, it } from "vitest"
import { z } from "zod"
import { down, FAILOVERS, GATEWAY_KEY, type ThreeKinds, threeKinds } from "./support/ResponsesUpstreams.ts"

let running: ThreeKinds | undefined

afterEach(async () => {
  await running?.close()
  running = undefined
})

describe.each(FAILOVERS)("AI SDK and LangChain over Responses: $failing 503 → $answering", ({ failing, answering }) => {
  const start = async (answerScript?: FaultScript) => {
    running = await threeKinds({
      order: [failing, answering],
      scripts: { [failing]: down, ...(answerScript !== undefined ? { [answering]: answerScript } : {}) }
    })
    return running
  }
  const aiSdk = (r: ThreeKinds) => createOpenAI({ baseURL: `${r.gateway.url}/v1`, apiKey: GATEWAY_KEY })

  it("generateText with openai(id) (the Responses model)", async () => {
    const r = await start()
    const result = await generateText({ model: aiSdk(r)("default"), prompt: "Say hi", maxRetries: 0 })
    expect(result.text).toContain(`fake ${answering} upstream`)
    expect(result.finishReason).toBe("stop")
    expect(result.usage.inputTokens).toBeGreaterThan(0)
    expect(result.response.headers?.["x-am-provider"]).toBe(answering)
    expect(r.upstreams[answering].requests).toHaveLength(1)
  })

  it("streamText with openai(id)", async () => {
    const r = await start()
    const result = streamText({ model: aiSdk(r)("default"), prompt: "Count", maxRetries: 0 })
    let text = ""
    for await (const delta of result.textStream) text += delta
    expect(text).toContain(`fake ${answering} upstream`)
    expect(await result.finishReason).toBe("stop")
    expect((await result.usage).outputTokens).toBeGreaterThan(0)
  })

  it("generateText runs a tool loop: the call, the tool's result sent back, the final answer", async () => {
    const r = await start([{ sequence: ["tool_call", "ok"] }])
    const seen: Array<string> = []
    const result = await generateText({
      model: aiSdk(r)("default"),
      prompt: "Weather in Paris?",
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: {
        get_weather: tool({
          description: "The weather in a city",
          inputSchema: z.object({ location: z.string() }),
          execute: async ({ location }) => {
            seen.push(location)
            return { temperature: "18C" }
          }
        })
      }
    })
    expect(seen).toEqual(["Paris, France"])
    expect(result.steps).toHaveLength(2)
    expect(result.text.length).toBeGreaterThan(0)
    expect(JSON.stringify(r.recorded[answering].bodies.at(-1))).toContain("18C")
  })

  it("LangChain ChatOpenAI with useResponsesApi: invoke and stream", async () => {
    const r = await start()
    const chat = new ChatOpenAI({
      model: "default",
      useResponsesApi: true,
      apiKey: GATEWAY_KEY,
      maxRetries: 0,
      configuration: { baseURL: `${r.gateway.url}/v1` }
    })
    const answer = await chat.invoke("Say hi")
    expect(answer.text).toContain(`fake ${answering} upstream`)
    expect(answer.usage_metadata?.total_tokens).toBeGreaterThan(0)
    let streamed = ""
    for await (const chunk of await chat.stream("Count")) streamed += chunk.text
    expect(streamed).toContain(`fake ${answering} upstream`)
  })
})
