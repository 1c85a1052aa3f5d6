// A replay is an accepted request: `recordReplay` gives it its own ledger input (replayed, pointing
// at the original, no call, cost 0) and its own `llm_runs` row (the key kept, `replayOf` the
// original, cost and tokens 0) under one id of its own — on the real SQLite store, where the usage
// report then counts it as a request at no cost.
import { type LedgerInput, type LedgerShape, RunStore } from "@am/core"
import { SqliteStore } from "@am/store-sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { recordReplay } from "../src/index.ts"

const input = {
  workspaceId: "team-a",
  idempotencyKey: "order-42",
  route: "default",
  messages: [{ role: "user" as const, content: "once" }],
  originalRequestId: "req_0000000000original",
  outcome: "SUCCESS" as const,
  provider: "primary",
  model: "gpt-4o",
  responseText: "the answer"
}

describe("recordReplay", () => {
  it.effect("writes a ledger entry and an llm_runs row of the replay's own, at cost 0", () =>
    Effect.gen(function* () {
      const recorded: Array<LedgerInput> = []
      const ledger: LedgerShape = {
        record: (entry) => Effect.sync(() => recorded.push(entry)) as never
      }
      const runs = yield* RunStore
      const id = yield* recordReplay(input, { ledger, runs })
      assert.match(id, /^req_/)
      assert.notStrictEqual(id, input.originalRequestId)
      assert.strictEqual(recorded.length, 1)
      assert.deepInclude(recorded[0]!, {
        requestId: id,
        workspaceId: "team-a",
        replayed: true,
        originalRequestId: input.originalRequestId,
        apiCalls: 0,
        costUsd: 0,
        attempts: [],
        provider: "primary",
        model: "gpt-4o",
        responseText: "the answer"
      })
      const row = yield* runs.get(id)
      assert.deepInclude(row!, {
        id,
        workspaceId: "team-a",
        idempotencyKey: "order-42",
        replayOf: input.originalRequestId,
        status: "SUCCEEDED",
        provider: "primary",
        model: "gpt-4o",
        costUsd: 0,
        inputTokens: 0,
        outputTokens: 0
      })
      const usage = yield* runs.usage({ workspaceId: "team-a", from: 0, to: Date.now() + 1000 })
      assert.deepStrictEqual(
        usage.map((u) => [u.requests, u.costUsd]),
        [[1, 0]]
      )
      // Without a run store (runs not persisted) only the ledger hears of it.
      const second = yield* recordReplay(input, { ledger })
      assert.strictEqual(recorded.length, 2)
      assert.isUndefined(yield* runs.get(second))
    }).pipe(Effect.provide(SqliteStore.layer({ filename: ":memory:" })))
  )
})
