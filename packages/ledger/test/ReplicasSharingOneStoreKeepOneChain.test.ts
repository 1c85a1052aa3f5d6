import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Ledger as LedgerService } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Ledger, MemoryLedgerStore, verify } from "../src/index.ts"
import { input, tempDir } from "./support.ts"

describe("two ledgers (two gateway replicas) over one store", () => {
  it.live("interleave into one unbroken chain: a lost seq race is re-chained and retried, never spooled", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const handle = MemoryLedgerStore.make()
        const replica = (dir: string) =>
          Effect.map(Layer.build(Ledger.layer({ spoolDir: dir }).pipe(Layer.provide(handle.layer))), (ctx) =>
            Context.get(ctx, LedgerService)
          )
        const dirs = [yield* tempDir, yield* tempDir]
        const a = yield* replica(dirs[0]!)
        const b = yield* replica(dirs[1]!)
        // Both replicas read the (empty) head at start, so their first appends collide on seq 1.
        const ids = Array.from({ length: 150 }, (_, i) => i)
        const returned = yield* Effect.forEach(
          ids,
          (i) => (i % 2 === 0 ? a : b).record(input({ requestId: `r${i}` })),
          { concurrency: "unbounded" }
        )
        const stored = handle.entries()
        assert.strictEqual(stored.length, 150)
        assert.sameMembers(
          stored.map((e) => e.requestId),
          ids.map((i) => `r${i}`)
        )
        assert.deepStrictEqual(
          stored.map((e) => e.seq),
          ids.map((i) => i + 1)
        )
        assert.isTrue(verify(stored).ok)
        // What each caller got back is what landed (re-chained entries included).
        assert.sameMembers(
          returned.map((e) => e.hash),
          stored.map((e) => e.hash)
        )
        // Conflicts were retried, not spooled: no spool file has a line.
        for (const dir of dirs) {
          const file = join(dir, "ledger-spool.jsonl")
          assert.strictEqual(existsSync(file) ? readFileSync(file, "utf8").trim() : "", "")
        }
      })
    )
  )
})
