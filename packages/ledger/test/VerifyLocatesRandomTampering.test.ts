import type { LedgerEntry } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import fc from "fast-check"
import { buildEntry, type VerifyReason, type VerifyResult, verify, verifyStream } from "../src/index.ts"
import { chain, input } from "./support.ts"

const N = 40
const base = chain(N)

type Tamper =
  | { readonly op: "modify"; readonly i: number }
  | { readonly op: "delete"; readonly i: number }
  | { readonly op: "insert"; readonly i: number }
  | { readonly op: "swap"; readonly i: number; readonly j: number }

// Positions where the change is detectable without an external head (not at the very end).
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.nat(N - 1).map((i): Tamper => ({ op: "modify", i })),
  fc.nat(N - 2).map((i): Tamper => ({ op: "delete", i })),
  fc.nat(N - 1).map((i): Tamper => ({ op: "insert", i })),
  fc
    .tuple(fc.nat(N - 1), fc.nat(N - 1))
    .filter(([a, b]) => a !== b)
    .map(([a, b]): Tamper => ({ op: "swap", i: Math.min(a, b), j: Math.max(a, b) }))
)

const apply = (
  t: Tamper
): { entries: Array<LedgerEntry>; expected: { ok: false; reason: VerifyReason; seq: number } } => {
  const copy = base.slice()
  switch (t.op) {
    case "modify":
      copy[t.i] = { ...(copy[t.i] as LedgerEntry), latencyMs: (copy[t.i] as LedgerEntry).latencyMs + 1 }
      return { entries: copy, expected: { ok: false, reason: "modified", seq: t.i + 1 } }
    case "delete":
      copy.splice(t.i, 1)
      return { entries: copy, expected: { ok: false, reason: "deleted", seq: t.i + 1 } }
    case "insert":
      copy.splice(t.i, 0, buildEntry(input({ requestId: "forged" }), copy[t.i - 1]))
      return { entries: copy, expected: { ok: false, reason: "inserted", seq: t.i + 1 } }
    case "swap":
      ;[copy[t.i], copy[t.j]] = [copy[t.j] as LedgerEntry, copy[t.i] as LedgerEntry]
      return { entries: copy, expected: { ok: false, reason: "reordered", seq: t.i + 1 } }
  }
}

describe("verify over random tampering", () => {
  it("names the kind and the seq of every single modification, deletion, insertion or swap", () => {
    fc.assert(
      fc.property(tamper, (t) => {
        const { entries, expected } = apply(t)
        assert.deepInclude(verify(entries), expected)
      }),
      { numRuns: 300 }
    )
  })

  it.effect("verifyStream agrees with verify", () =>
    Effect.gen(function* () {
      const untouched = yield* verifyStream(Stream.fromIterable(base))
      assert.deepStrictEqual(untouched, verify(base))
      const { entries, expected } = apply({ op: "swap", i: 3, j: 9 })
      const r: VerifyResult = yield* verifyStream(Stream.fromIterable(entries))
      assert.deepInclude(r, expected)
    })
  )
})
