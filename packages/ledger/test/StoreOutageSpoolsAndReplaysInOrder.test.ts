import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type LedgerEntry, Ledger as LedgerService } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Metric, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { Ledger, type MemoryLedgerStoreHandle, MemoryLedgerStore, spooledCounter, verify } from "../src/index.ts"
import { chain, input, tempDir } from "./support.ts"

const build = (handle: MemoryLedgerStoreHandle, spoolDir: string) =>
  Effect.map(
    Layer.build(
      Ledger.layer({ spoolDir, replaySchedule: Schedule.spaced("1 second") }).pipe(Layer.provide(handle.layer))
    ),
    (ctx) => Context.get(ctx, LedgerService)
  )

// A drained spool is removed by the replay fiber, possibly between a check and a read: a missing
// file is an empty spool.
const spoolLines = (dir: string) => {
  const file = join(dir, "ledger-spool.jsonl")
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "").length
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0
    throw e
  }
}
/**
 * The spool is written asynchronously (real file I/O, not on the TestClock): after the clock
 * moves, waits for the replay pass to finish — event-loop turns until `done` holds, never a duration.
 */
const settled = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let turn = 0; turn < 10_000 && !done(); turn++) {
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
  })
const seqs = (entries: ReadonlyArray<LedgerEntry>) => entries.map((e) => e.seq)

describe("store outage", () => {
  it.effect("record still returns, entries spool, and the replay fiber lands them in order", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        const ledger = yield* build(handle, dir)
        // Touch the counter so it exists in this run's registry before the first read.
        yield* Metric.update(spooledCounter, 0)
        const spooledBefore = (yield* Metric.value(spooledCounter)).count
        yield* ledger.record(input({ requestId: "a" }))
        handle.setDown(true)
        const b = yield* ledger.record(input({ requestId: "b" }))
        const c = yield* ledger.record(input({ requestId: "c" }))
        assert.deepStrictEqual([b.seq, c.seq], [2, 3])
        assert.strictEqual(c.prevHash, b.hash)
        assert.deepStrictEqual(seqs(handle.entries()), [1])
        assert.strictEqual(spoolLines(dir), 2)
        assert.strictEqual((yield* Metric.value(spooledCounter)).count - spooledBefore, 2)

        // Still down: a replay pass fails and nothing is lost.
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(seqs(handle.entries()), [1])
        assert.strictEqual(spoolLines(dir), 2)

        handle.setDown(false)
        yield* TestClock.adjust("1 second")
        yield* settled(() => spoolLines(dir) === 0)
        assert.deepStrictEqual(seqs(handle.entries()), [1, 2, 3])
        assert.deepStrictEqual(
          handle.entries().map((e) => e.requestId),
          ["a", "b", "c"]
        )
        assert.strictEqual(spoolLines(dir), 0)
        assert.isTrue(verify(handle.entries()).ok)
      })
    )
  )

  it.effect("a new entry never overtakes the spool nor waits for the store: it is spooled behind, then replayed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        const ledger = yield* build(handle, dir)
        handle.setDown(true)
        yield* ledger.record(input({ requestId: "a" }))
        yield* ledger.record(input({ requestId: "b" }))
        handle.setDown(false)
        const calls = handle.appendCalls()
        const c = yield* ledger.record(input({ requestId: "c" }))
        assert.strictEqual(c.seq, 3)
        // Recorded without touching the store (the replay, not the writer, talks to it).
        assert.strictEqual(handle.appendCalls(), calls)
        assert.deepStrictEqual(seqs(handle.entries()), [])
        assert.strictEqual(spoolLines(dir), 3)
        yield* TestClock.adjust("1 second")
        yield* settled(() => spoolLines(dir) === 0)
        assert.deepStrictEqual(seqs(handle.entries()), [1, 2, 3])
        assert.deepStrictEqual(
          handle.entries().map((e) => e.requestId),
          ["a", "b", "c"]
        )
        assert.strictEqual(handle.appendCalls(), calls + 1, "the three replayed in one batch")
        // The spool drained: the next entry goes straight to the store.
        const d = yield* ledger.record(input({ requestId: "d" }))
        assert.strictEqual(d.seq, 4)
        assert.deepStrictEqual(seqs(handle.entries()), [1, 2, 3, 4])
        assert.isTrue(verify(handle.entries()).ok)
      })
    )
  )

  it.effect("a spool left by a previous process is replayed by the next one, chain intact", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        yield* Effect.scoped(
          Effect.gen(function* () {
            const first = yield* build(handle, dir)
            yield* first.record(input({ requestId: "a" }))
            handle.setDown(true)
            yield* first.record(input({ requestId: "b" }))
          })
        )
        const second = yield* build(handle, dir)
        const c = yield* second.record(input({ requestId: "c" }))
        assert.strictEqual(c.seq, 3)
        handle.setDown(false)
        yield* TestClock.adjust("1 second")
        yield* settled(() => handle.entries().length >= 3)
        assert.deepStrictEqual(seqs(handle.entries()), [1, 2, 3])
        assert.isTrue(verify(handle.entries()).ok)
      })
    )
  )

  it.effect("entries written while the head was unknown are re-chained onto the real head on replay", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        yield* handle.store.append(chain(3))
        handle.setDown(true)
        const ledger = yield* build(handle, dir)
        const provisional = yield* ledger.record(input({ requestId: "x" }))
        assert.strictEqual(provisional.seq, 1)
        handle.setDown(false)
        yield* TestClock.adjust("1 second")
        yield* settled(() => handle.entries().length >= 4)
        const stored = handle.entries()
        assert.deepStrictEqual(seqs(stored), [1, 2, 3, 4])
        assert.strictEqual(stored[3]?.requestId, "x")
        assert.isTrue(verify(stored).ok)
        const next = yield* ledger.record(input({ requestId: "y" }))
        assert.strictEqual(next.seq, 5)
        assert.isTrue(verify(handle.entries()).ok)
      })
    )
  )
})
