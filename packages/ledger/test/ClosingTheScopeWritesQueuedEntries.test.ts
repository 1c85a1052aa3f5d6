import { Ledger as LedgerService, LedgerStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Latch, Layer, Scope } from "effect"
import { Ledger, MemoryLedgerStore, verify } from "../src/index.ts"
import { input, tempDir } from "./support.ts"

describe("shutdown and interruption", () => {
  it.effect(
    "entries queued behind a slow append are written when the scope closes, even if callers were interrupted",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = yield* tempDir
          const handle = MemoryLedgerStore.make()
          const gate = yield* Latch.make(false)
          // The store's append waits on the gate: the writer is stuck on the first batch.
          const gated = Layer.succeed(LedgerStore, {
            ...handle.store,
            append: (entries) => Effect.andThen(gate.await, handle.store.append(entries))
          })
          const scope = yield* Scope.make()
          const ctx = yield* Layer.buildWithScope(Ledger.layer({ spoolDir: dir }).pipe(Layer.provide(gated)), scope)
          const ledger = Context.get(ctx, LedgerService)
          const first = yield* Effect.forkChild(ledger.record(input({ requestId: "first" })))
          yield* Effect.yieldNow
          const rest = yield* Effect.forEach(["a", "b", "c"], (id) =>
            Effect.forkChild(ledger.record(input({ requestId: id })))
          )
          yield* Effect.yieldNow
          // The callers give up; their entries are already queued and must still be written.
          yield* Effect.forEach(rest, Fiber.interrupt)
          const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
          yield* gate.open
          yield* Fiber.join(closing)
          const firstEntry = yield* Fiber.join(first)
          assert.strictEqual(firstEntry.seq, 1)
          assert.deepStrictEqual(
            handle.entries().map((e) => e.requestId),
            ["first", "a", "b", "c"]
          )
          assert.isTrue(verify(handle.entries()).ok)
        })
      )
  )
})
