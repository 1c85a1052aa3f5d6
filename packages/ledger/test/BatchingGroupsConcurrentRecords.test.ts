import { Ledger as LedgerService } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Ledger, MemoryLedgerStore, verify } from "../src/index.ts"
import { input, tempDir } from "./support.ts"

const run = (maxBatchSize: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const dir = yield* tempDir
      const handle = MemoryLedgerStore.make()
      const ctx = yield* Layer.build(Ledger.layer({ spoolDir: dir, maxBatchSize }).pipe(Layer.provide(handle.layer)))
      const ledger = Context.get(ctx, LedgerService)
      yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) => ledger.record(input({ requestId: `r${i}` })),
        { concurrency: "unbounded" }
      )
      return handle
    })
  )

describe("batching", () => {
  it.effect("concurrent records share appends; with maxBatchSize 1 every entry is its own append", () =>
    Effect.gen(function* () {
      const batched = yield* run(100)
      const single = yield* run(1)
      assert.strictEqual(batched.entries().length, 100)
      assert.isBelow(batched.appendCalls(), 100)
      assert.strictEqual(single.appendCalls(), 100)
      assert.isTrue(verify(batched.entries()).ok)
      assert.isTrue(verify(single.entries()).ok)
    })
  )
})
