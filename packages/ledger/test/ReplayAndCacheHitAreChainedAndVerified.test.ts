import type { LedgerEntry } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { buildEntry, verify } from "../src/index.ts"
import { input } from "./support.ts"

describe("a replayed or cached answer's entry", () => {
  it("says so and names the original request, under the hash", () => {
    const original = buildEntry(input(), undefined)
    const replay = buildEntry(
      input({ requestId: "req-1", replayed: true, originalRequestId: original.requestId, apiCalls: 0, attempts: [] }),
      original
    )
    const hit = buildEntry(
      input({ requestId: "req-3", cacheHit: true, originalRequestId: original.requestId, apiCalls: 0, costUsd: 0 }),
      replay
    )
    assert.strictEqual(replay.replayed, true)
    assert.strictEqual(replay.originalRequestId, original.requestId)
    assert.strictEqual(hit.cacheHit, true)
    assert.isFalse("replayed" in original || "cacheHit" in original || "originalRequestId" in original)
    assert.deepStrictEqual(verify([original, replay, hit]).ok, true)
    // Turning a replay into a live call breaks the chain at that entry.
    const { replayed: _r, ...live } = replay
    const r = verify([original, live as LedgerEntry, hit])
    assert.isFalse(r.ok)
    assert.strictEqual(!r.ok && r.seq, 2)
  })
})
