/**
 * The spool replays in time linear in its size, and a replay cut anywhere (a kill between a batch
 * landing and its cursor moving, a cursor that does not match its file, a last line cut mid-write)
 * neither loses an entry nor lands one twice.
 *
 * A replayed batch moves a cursor file; the spool itself is only appended to while it drains
 * (same inode, same size), and is removed once empty. A process that restarts loads only what the
 * cursor has not passed, drops by seq and hash whatever the store already holds, and replays the rest.
 */
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type LedgerEntry, Ledger as LedgerService, LedgerStore, StoreError } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { TestClock } from "effect/testing"
import {
  buildEntry,
  Ledger,
  LedgerSpool,
  type MemoryLedgerStoreHandle,
  MemoryLedgerStore,
  verify
} from "../src/index.ts"
import { input, tempDir } from "./support.ts"

const SPOOL = "ledger-spool.jsonl"
const CURSOR = "ledger-spool.cursor.json"

/** The memory store, with appends failing once `okAppends` have landed (a store that goes away mid-replay). */
const goesAwayAfter = (handle: MemoryLedgerStoreHandle, okAppends: number) => {
  let landed = 0
  return Layer.succeed(
    LedgerStore,
    LedgerStore.of({
      ...handle.store,
      append: (entries) =>
        Effect.suspend(() =>
          landed++ < okAppends
            ? handle.store.append(entries)
            : Effect.fail(new StoreError({ store: "memory", operation: "append", message: "went away" }))
        )
    })
  )
}

const build = (store: Layer.Layer<LedgerStore>, spoolDir: string) =>
  Effect.map(
    Layer.build(
      Ledger.layer({ spoolDir, replaySchedule: Schedule.spaced("1 second"), replayBatchSize: 100 }).pipe(
        Layer.provide(store)
      )
    ),
    (ctx) => ({ ledger: Context.get(ctx, LedgerService), spool: Context.get(ctx, LedgerSpool) })
  )

/** Waits (event-loop turns, never a duration) for the replay's real file I/O. */
const settled = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let turn = 0; turn < 500_000 && !done(); turn++) {
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
  })

const spooled = (dir: string): Array<LedgerEntry> =>
  readFileSync(join(dir, SPOOL), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as LedgerEntry)

const ids = (n: number, prefix = "r") => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)

/** Records `n` requests while the store is down: they all land in the spool. */
const spoolWhileDown = (handle: MemoryLedgerStoreHandle, dir: string, n: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      handle.setDown(true)
      const { ledger } = yield* build(handle.layer, dir)
      yield* Effect.forEach(ids(n), (requestId) => ledger.record(input({ requestId })), { concurrency: 50 })
      handle.setDown(false)
    })
  )

const onceEach = (entries: ReadonlyArray<LedgerEntry>, expected: ReadonlyArray<string>) => {
  const counts = new Map<string, number>()
  for (const e of entries) counts.set(e.requestId, (counts.get(e.requestId) ?? 0) + 1)
  return expected.filter((id) => counts.get(id) !== 1)
}

describe("spool replay", () => {
  it.effect("moves a cursor instead of rewriting the spool, and a restart resumes after it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        yield* spoolWhileDown(handle, dir, 2000)
        const file = join(dir, SPOOL)
        const before = statSync(file)
        assert.strictEqual(spooled(dir).length, 2000)

        // The store takes five batches of 100 and goes away again.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { spool } = yield* build(goesAwayAfter(handle, 5), dir)
            assert.strictEqual(spool.size(), 2000)
            yield* TestClock.adjust("1 second")
            yield* settled(() => spool.size() === 1500 && existsSync(join(dir, CURSOR)))
            assert.strictEqual(spool.size(), 1500)
          })
        )
        assert.strictEqual(handle.entries().length, 500)
        const after = statSync(file)
        assert.strictEqual(after.ino, before.ino, "the spool file was not replaced")
        assert.strictEqual(after.size, before.size, "nor rewritten")
        const cursor = JSON.parse(readFileSync(join(dir, CURSOR), "utf8")) as { seq: number }
        assert.strictEqual(cursor.seq, 500)

        // The next process loads only what the cursor has not passed, and lands it.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { spool } = yield* build(handle.layer, dir)
            assert.strictEqual(spool.size(), 1500)
            yield* TestClock.adjust("1 second")
            yield* settled(() => spool.size() === 0 && !existsSync(file))
          })
        )
        const stored = handle.entries()
        assert.deepStrictEqual(onceEach(stored, ids(2000)), [])
        assert.strictEqual(stored.length, 2000)
        assert.isTrue(verify(stored).ok)
        assert.isFalse(existsSync(file), "an empty spool leaves no file")
        assert.isFalse(existsSync(join(dir, CURSOR)))
      })
    )
  )

  it.effect("a batch that landed before its cursor moved is not replayed twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        yield* spoolWhileDown(handle, dir, 300)
        // A kill right after a replay's batch landed: the store holds the first 150, the cursor never moved.
        yield* handle.store.append(spooled(dir).slice(0, 150))
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { spool } = yield* build(handle.layer, dir)
            assert.strictEqual(spool.size(), 300)
            yield* TestClock.adjust("1 second")
            yield* settled(() => spool.size() === 0)
          })
        )
        const stored = handle.entries()
        assert.deepStrictEqual(onceEach(stored, ids(300)), [])
        assert.strictEqual(stored.length, 300)
        assert.isTrue(verify(stored).ok)
      })
    )
  )

  it.effect("a cursor that does not match its file is ignored and a line cut by a crash is skipped", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        yield* spoolWhileDown(handle, dir, 10)
        const lines = readFileSync(join(dir, SPOOL), "utf8").split("\n")
        const offset = Buffer.byteLength(`${lines.slice(0, 4).join("\n")}\n`)
        // Names an entry the file does not have at that offset (left by a compaction cut short).
        writeFileSync(join(dir, CURSOR), JSON.stringify({ offset, seq: 4, hash: "0".repeat(64) }))
        appendFileSync(join(dir, SPOOL), '{"seq":11,"requestId":"cut-')
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { spool } = yield* build(handle.layer, dir)
            assert.strictEqual(spool.size(), 10, "the whole file, without the cut line")
            yield* TestClock.adjust("1 second")
            yield* settled(() => spool.size() === 0)
          })
        )
        const stored = handle.entries()
        assert.deepStrictEqual(
          stored.map((e) => e.requestId),
          [...spooled0(lines)]
        )
        assert.isTrue(verify(stored).ok)
      })
    )
  )

  it.effect("after another replica appended behind our landed prefix, only the rest is re-chained", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const handle = MemoryLedgerStore.make()
        yield* spoolWhileDown(handle, dir, 10)
        const ours = spooled(dir)
        // Our first four landed (cursor not moved), then another replica appended three of its own.
        yield* handle.store.append(ours.slice(0, 4))
        const theirs = [1, 2, 3].reduce<Array<LedgerEntry>>((acc, i) => {
          acc.push(buildEntry(input({ requestId: `other-${i}` }), acc[acc.length - 1] ?? (ours[3] as LedgerEntry)))
          return acc
        }, [])
        yield* handle.store.append(theirs)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { ledger, spool } = yield* build(handle.layer, dir)
            yield* TestClock.adjust("1 second")
            yield* settled(() => spool.size() === 0)
            const next = yield* ledger.record(input({ requestId: "after" }))
            assert.strictEqual(next.seq, 14)
          })
        )
        const stored = handle.entries()
        assert.deepStrictEqual(onceEach(stored, [...ids(10), "other-1", "other-2", "other-3", "after"]), [])
        assert.strictEqual(stored.length, 14)
        assert.isTrue(verify(stored).ok)
      })
    )
  )
})

const spooled0 = (lines: ReadonlyArray<string>) =>
  lines.filter((l) => l !== "").map((l) => (JSON.parse(l) as LedgerEntry).requestId)
