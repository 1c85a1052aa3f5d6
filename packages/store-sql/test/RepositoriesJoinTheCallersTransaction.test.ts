import { EventStore, LedgerStore, RunStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { backends } from "./support/backends.ts"
import { entry, run } from "./support/fixtures.ts"

// Seed 001 §2.1: repositories run inside the caller's unit of work and never commit it.
for (const backend of backends) {
  describe.skipIf(backend.skip)(`caller's transaction on ${backend.name}`, () => {
    it.effect("writes made inside a transaction the caller rolls back leave no row", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const runs = yield* RunStore
        const ledger = yield* LedgerStore
        const events = yield* EventStore
        const unitOfWork = Effect.gen(function* () {
          yield* runs.start(run("r1"))
          yield* runs.finish("r1", { status: "SUCCEEDED", inputTokens: 3 })
          yield* ledger.append(Array.from({ length: 700 }, (_, i) => entry(i + 1)))
          yield* events.write([{ topic: "circuit.reset", at: 1, breaker: "b", provider: "p" }])
          // Inside the transaction the writes are visible: they ran on its connection.
          assert.strictEqual((yield* runs.get("r1"))?.status, "SUCCEEDED")
          assert.deepStrictEqual(yield* ledger.head, { seq: 700, hash: "h700" })
          return yield* Effect.fail("caller gives up" as const)
        })
        const outcome = yield* Effect.flip(sql.withTransaction(unitOfWork))
        assert.strictEqual(outcome, "caller gives up")
        assert.isUndefined(yield* runs.get("r1"))
        assert.isUndefined(yield* ledger.head)
        assert.deepStrictEqual(yield* events.since(0, 10), [])
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("writes made inside a transaction the caller commits are kept", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const runs = yield* RunStore
        yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* runs.start(run("r1"))
            yield* runs.finish("r1", { status: "FAILED", errorCode: "TIMEOUT" })
          })
        )
        assert.strictEqual((yield* runs.get("r1"))?.errorCode, "TIMEOUT")
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}
