/**
 * The direct stream's SSE decoder reads events as the SDK's decoder does, wherever the reads
 * split the bytes: in the middle of a `\r\n`, of a multi-byte character, of a field name or of
 * the blank line that ends an event. Every split into two and into three reads of a stream that
 * has comments, CRLF / CR / LF line ends, multi-line data, an `event:` name, a field without a
 * space after its colon, an empty `event:` and a last event without its blank line gives the
 * same events as one read.
 */
import { assert, describe, it } from "@effect/vitest"
import { type SseEvent, sseDecoder } from "../src/internal/DirectStream.ts"

const STREAM =
  ": keep-alive\n\n" +
  'data: {"a":"café ☕"}\r\n\r\n' +
  'event: error\rdata:{"error":{"message":"x"}}\r\r' +
  "data: line one\ndata: line two\n\n" +
  "event:\n\n" +
  "id: 7\nretry: 10\n\n" +
  "data: [DONE]"

/**
 * What the events are, read off the text above by the SDK's rules (not by the decoder). One of
 * them is the SDK's own: a blank line after an empty `event:` and no data dispatches nothing and
 * keeps the empty name for the next event.
 */
const EXPECTED: ReadonlyArray<SseEvent> = [
  { event: null, data: '{"a":"café ☕"}' },
  { event: "error", data: '{"error":{"message":"x"}}' },
  { event: null, data: "line one\nline two" },
  { event: "", data: "[DONE]" }
]

const decodeIn = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<SseEvent> => {
  const d = sseDecoder()
  const out: Array<SseEvent> = []
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    out.push(...d.push(bytes.subarray(from, cut)))
    from = cut
  }
  out.push(...d.end())
  return out
}

describe("SSE events decode the same whatever the reads", () => {
  const bytes = new TextEncoder().encode(STREAM)

  it("in one read", () => {
    assert.deepStrictEqual(decodeIn(bytes, []), EXPECTED)
  })

  it("split in two at every byte", () => {
    for (let i = 0; i <= bytes.length; i++) assert.deepStrictEqual(decodeIn(bytes, [i]), EXPECTED, `cut at ${i}`)
  })

  it("split in three at every pair of bytes", () => {
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        assert.deepStrictEqual(decodeIn(bytes, [i, j]), EXPECTED, `cuts at ${i}, ${j}`)
      }
    }
  })

  it("a last event without its blank line is ended by the end of the body, once", () => {
    const d = sseDecoder()
    assert.deepStrictEqual(d.push(new TextEncoder().encode("data: 1\n\ndata: 2")), [{ event: null, data: "1" }])
    assert.deepStrictEqual(d.end(), [{ event: null, data: "2" }])
    const e = sseDecoder()
    assert.deepStrictEqual(e.push(new TextEncoder().encode("data: 1\n\n")), [{ event: null, data: "1" }])
    assert.deepStrictEqual(e.end(), [])
  })
})
