import type { LedgerEntry } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { buildEntry, GENESIS_HASH, hashEntry, verify } from "../src/index.ts"
import { chain, input } from "./support.ts"

const base = chain(50)
const broken = (r: ReturnType<typeof verify>) => {
  assert.isFalse(r.ok)
  return r as Extract<typeof r, { ok: false }>
}

describe("verify", () => {
  it("passes an untouched chain of 10,000 entries", () => {
    const entries = chain(10_000)
    const r = verify(entries)
    assert.deepStrictEqual(r, {
      ok: true,
      count: 10_000,
      lastSeq: 10_000,
      lastHash: (entries[9_999] as LedgerEntry).hash
    })
  })

  it("chains from the genesis hash with seq 1, 2, …", () => {
    assert.strictEqual(base[0]?.seq, 1)
    assert.strictEqual(base[0]?.prevHash, GENESIS_HASH)
    assert.strictEqual(base[1]?.prevHash, base[0]?.hash)
    assert.strictEqual(hashEntry(base[7] as LedgerEntry), base[7]?.hash)
  })

  it("finds one changed field and names its seq", () => {
    const copy = base.slice()
    copy[20] = { ...(copy[20] as LedgerEntry), costUsd: 0 }
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "modified")
    assert.strictEqual(r.seq, 21)
    assert.strictEqual(r.index, 20)
  })

  it("finds a changed nested field (an attempt's message)", () => {
    const copy = base.slice()
    const e = copy[3] as LedgerEntry
    copy[3] = { ...e, attempts: [{ ...(e.attempts[0] as LedgerEntry["attempts"][number]), latencyMs: 1 }] }
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "modified")
    assert.strictEqual(r.seq, 4)
  })

  it("finds a modified entry whose hash was recomputed: the next link breaks", () => {
    const copy = base.slice()
    const { hash: _h, ...body } = { ...(copy[10] as LedgerEntry), outcome: "FAILURE" as const }
    copy[10] = { ...body, hash: hashEntry(body) }
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "modified")
    assert.strictEqual(r.seq, 11)
  })

  it("finds a deleted entry", () => {
    const copy = base.filter((e) => e.seq !== 30)
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "deleted")
    assert.strictEqual(r.seq, 30)
  })

  it("finds a deleted first entry", () => {
    const r = broken(verify(base.slice(1)))
    assert.strictEqual(r.reason, "deleted")
    assert.strictEqual(r.seq, 1)
  })

  it("finds an inserted, self-consistent forged entry", () => {
    const forged = buildEntry(input({ requestId: "forged", outcome: "SUCCESS" }), base[14])
    const copy = [...base.slice(0, 15), forged, ...base.slice(15)]
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "inserted")
    assert.strictEqual(r.seq, 16)
    assert.strictEqual(r.index, 16)
  })

  it("finds two adjacent entries swapped", () => {
    const copy = base.slice()
    ;[copy[5], copy[6]] = [copy[6] as LedgerEntry, copy[5] as LedgerEntry]
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "reordered")
    assert.strictEqual(r.seq, 6)
  })

  it("finds two distant entries swapped", () => {
    const copy = base.slice()
    ;[copy[5], copy[40]] = [copy[40] as LedgerEntry, copy[5] as LedgerEntry]
    const r = broken(verify(copy))
    assert.strictEqual(r.reason, "reordered")
    assert.strictEqual(r.seq, 6)
  })

  it("an empty chain is valid; a chain can be verified from a checkpoint", () => {
    assert.deepStrictEqual(verify([]), { ok: true, count: 0, lastSeq: 0, lastHash: GENESIS_HASH })
    const from = base[19] as LedgerEntry
    const r = verify(base.slice(20), { seq: from.seq, hash: from.hash })
    assert.isTrue(r.ok)
    assert.isFalse(verify(base.slice(21), { seq: from.seq, hash: from.hash }).ok)
  })
})
