import { EventBus, EventLog, Ledger as LedgerService } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Ledger, MemoryLedgerStore, verify, verifyStore } from "../src/index.ts"
import { input, tempDir } from "./support.ts"

describe("Ledger.record", () => {
  it.effect("200 concurrent records get seq 1..200 and one unbroken chain; each publishes an event", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        const ctx = yield* Layer.build(
          Ledger.layer({ spoolDir: dir }).pipe(Layer.provide(Layer.merge(handle.layer, EventBus.layerMemory)))
        )
        const ledger = Context.get(ctx, LedgerService)
        const returned = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => i),
          (i) => ledger.record(input({ requestId: `r${i}` })),
          { concurrency: "unbounded" }
        )
        const stored = handle.entries()
        assert.deepStrictEqual(
          stored.map((e) => e.seq),
          Array.from({ length: 200 }, (_, i) => i + 1)
        )
        assert.deepStrictEqual(verify(stored), {
          ok: true,
          count: 200,
          lastSeq: 200,
          lastHash: stored[199]?.hash ?? ""
        })
        assert.sameMembers(
          returned.map((e) => e.hash),
          stored.map((e) => e.hash)
        )
        const paged = yield* verifyStore({ pageSize: 7 }).pipe(Effect.provide(handle.layer))
        assert.isTrue(paged.ok)
      })
    )
  )

  it.effect("publishes bias.ledger.entry.created with seq, hash and outcome when an EventBus is provided", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        const ctx = yield* Layer.build(
          Ledger.layer({ spoolDir: dir }).pipe(Layer.provideMerge(Layer.merge(handle.layer, EventBus.layerMemory)))
        )
        const ledger = Context.get(ctx, LedgerService)
        const entry = yield* ledger.record(input({ requestId: "evt" }))
        const events = yield* Context.get(ctx, EventLog).all
        const created = events.filter((e) => e.topic === "bias.ledger.entry.created")
        assert.strictEqual(created.length, 1)
        assert.deepInclude(created[0], { requestId: "evt", seq: entry.seq, hash: entry.hash, outcome: "SUCCESS" })
      })
    )
  )

  it.effect("verifyStore finds an entry modified inside the store", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        const ctx = yield* Layer.build(Ledger.layer({ spoolDir: dir }).pipe(Layer.provide(handle.layer)))
        const ledger = Context.get(ctx, LedgerService)
        yield* Effect.forEach([1, 2, 3, 4, 5], (i) => ledger.record(input({ requestId: `r${i}` })))
        const entries = handle.entries().map((e) => (e.seq === 4 ? { ...e, model: "cheaper-model" } : e))
        const tampered = MemoryLedgerStore.make()
        yield* tampered.store.append(entries)
        const r = yield* verifyStore({ pageSize: 2 }).pipe(Effect.provide(tampered.layer))
        assert.deepInclude(r, { ok: false, seq: 4, reason: "modified" })
      })
    )
  )
})
