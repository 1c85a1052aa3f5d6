// `reportingSkippedEvents`: the events a stream skips are reported to the call whose SDK request
// opened it (the engine counts them per request), and two concurrent calls keep their own counts.
import { describe, expect, it } from "vitest"
import { reportingSkippedEvents, tolerantEventStreams } from "../src/index.ts"

const sse = (events: ReadonlyArray<string>) => async () =>
  new Response(events.map((e) => `data: ${e}\n\n`).join(""), { headers: { "content-type": "text/event-stream" } })

const read = async (response: Promise<Response>) => (await response).text()

describe("skipped SSE events are reported to the call that opened the stream", () => {
  it("each concurrent call gets its own count; a call without a listener still passes the good events", async () => {
    const oneBad = tolerantEventStreams(sse(['{"a":1}', "{not json", '{"b":2}', "[DONE]"]), { label: "per-call-a" })
    const twoBad = tolerantEventStreams(sse(['{"a":1}', "{x", "{y", '{"b":2}']), { label: "per-call-b" })
    let a = 0
    let b = 0
    const [textA, textB, plain] = await Promise.all([
      reportingSkippedEvents(
        () => a++,
        () => read(oneBad("https://upstream.test/a"))
      ),
      reportingSkippedEvents(
        () => b++,
        () => read(twoBad("https://upstream.test/b"))
      ),
      read(oneBad("https://upstream.test/c"))
    ])
    expect(a).toBe(1)
    expect(b).toBe(2)
    expect(textA).not.toContain("not json")
    expect(textB).toContain('{"b":2}')
    expect(plain).toContain("[DONE]")
  })
})
