import type { LedgerEntry } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { buildEntry, verify } from "../src/index.ts"
import { input } from "./support.ts"

describe("a streamed request's entry", () => {
  it("carries the stream's output length, time to first token and cut flag, under the hash", () => {
    const first = buildEntry(input(), undefined)
    const cut = buildEntry(
      input({
        requestId: "req-2",
        outcome: "FAILURE",
        failureCode: "stream_interrupted",
        responseText: "Par",
        stream: { outputChars: 3, firstTokenMs: 120, cut: true }
      }),
      first
    )
    assert.deepStrictEqual(cut.stream, { outputChars: 3, firstTokenMs: 120, cut: true })
    assert.isFalse("stream" in first)
    assert.deepStrictEqual(verify([first, cut]), { ok: true, count: 2, lastSeq: 2, lastHash: cut.hash })
    // Hiding the cut (or shortening the recorded output) breaks the chain at that entry.
    const hidden: LedgerEntry = { ...cut, stream: { outputChars: 3, firstTokenMs: 120, cut: false } }
    const r = verify([first, hidden])
    assert.isFalse(r.ok)
    assert.strictEqual(!r.ok && r.seq, 2)
    assert.strictEqual(!r.ok && r.reason, "modified")
  })
})
