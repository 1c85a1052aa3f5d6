import { LedgerStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { backends } from "./support/backends.ts"
import { entry } from "./support/fixtures.ts"

for (const backend of backends) {
  describe.skipIf(backend.skip)(`ledger on ${backend.name}`, () => {
    it.effect("appends entries and reads them back unchanged, in seq order", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerStore
        assert.isUndefined(yield* ledger.head)
        const entries = [1, 2, 3, 4, 5].map((seq) => entry(seq))
        yield* ledger.append(entries.slice(0, 2))
        yield* ledger.append(entries.slice(2))
        assert.deepStrictEqual(yield* ledger.head, { seq: 5, hash: "h5" })
        assert.deepStrictEqual(yield* ledger.range(1, 100), entries)
        assert.deepStrictEqual(yield* ledger.range(3, 2), entries.slice(2, 4))
        assert.deepStrictEqual(yield* ledger.range(6, 10), [])
        assert.deepStrictEqual(yield* ledger.byRequestId("req-4"), entries[3])
        assert.isUndefined(yield* ledger.byRequestId("req-404"))
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("keeps optional fields absent and fractional values exact", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerStore
        const { workspaceId: _w, provider: _p, model: _m, costUsd: _c, ...bare } = entry(1)
        const failed = { ...bare, outcome: "FAILURE" as const, failureCode: "ALL_PROVIDERS_FAILED", latencyMs: 12.75 }
        yield* ledger.append([failed])
        const back = yield* ledger.byRequestId("req-1")
        assert.deepStrictEqual(back, failed)
        assert.isFalse(back !== undefined && "workspaceId" in back)
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("keeps a streamed request's stream field (output length, first token, cut)", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerStore
        const cut = entry(1, {
          outcome: "FAILURE",
          failureCode: "stream_interrupted",
          stream: { outputChars: 42, firstTokenMs: 87.5, cut: true }
        })
        const whole = entry(2, { stream: { outputChars: 7, cut: false } })
        yield* ledger.append([cut, whole])
        assert.deepStrictEqual(yield* ledger.range(1, 10), [cut, whole])
        assert.deepStrictEqual((yield* ledger.byRequestId("req-1"))?.stream, {
          outputChars: 42,
          firstTokenMs: 87.5,
          cut: true
        })
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("rejects a duplicate seq and writes nothing of that batch", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerStore
        yield* ledger.append([entry(1), entry(2)])
        const error = yield* Effect.flip(ledger.append([entry(3), entry(2, { requestId: "other" })]))
        assert.strictEqual(error._tag, "StoreError")
        assert.strictEqual(error.operation, "append")
        assert.match(error.message, /duplicate seq/)
        // A lost race, not an outage: the ledger re-chains and retries on `conflict`.
        assert.strictEqual(error.conflict, true)
        assert.deepStrictEqual(yield* ledger.head, { seq: 2, hash: "h2" })
        assert.isUndefined(yield* ledger.byRequestId("other"))
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("writes a batch larger than one statement whole, or not at all", () =>
      Effect.gen(function* () {
        const ledger = yield* LedgerStore
        const many = Array.from({ length: 1203 }, (_, i) => entry(i + 1))
        yield* ledger.append(many)
        assert.deepStrictEqual(yield* ledger.head, { seq: 1203, hash: "h1203" })
        assert.strictEqual((yield* ledger.range(1, 5000)).length, 1203)
        // The duplicate sits in the last chunk: the chunks before it must not stay behind.
        const clash = [...Array.from({ length: 1100 }, (_, i) => entry(i + 2000)), entry(5)]
        yield* Effect.flip(ledger.append(clash))
        assert.deepStrictEqual(yield* ledger.head, { seq: 1203, hash: "h1203" })
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}
