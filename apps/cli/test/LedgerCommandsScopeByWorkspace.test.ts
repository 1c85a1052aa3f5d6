/**
 * `--workspace` scopes the ledger commands: `ledger tail --workspace W` lists W's newest entries
 * only (however many other workspaces' entries came after them), and `ledger show ID --workspace W`
 * answers another workspace's entry as absent.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Ledger as LedgerService, type LedgerEntry, type LedgerInput } from "@am/core"
import { Ledger } from "@am/ledger"
import { SqliteStore } from "@am/store-sql"
import { assert, describe, it } from "@effect/vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect, Exit, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { cli } from "../src/Commands.ts"

const run = (args: ReadonlyArray<string>) =>
  Command.runWith(cli, { version: "test" })(args).pipe(Effect.provide(NodeServices.layer), Effect.exit)

const input = (i: number, workspaceId: string): LedgerInput => ({
  requestId: `req_ws${String(i).padStart(8, "0")}`,
  startedAt: 1_700_000_000_000 + i * 1000,
  finishedAt: 1_700_000_000_000 + i * 1000 + 40,
  workspaceId,
  route: "default",
  initialMessages: [{ role: "user", content: `question ${i}` }],
  outcome: "SUCCESS",
  attempts: [],
  events: [],
  latencyMs: 40,
  apiCalls: 1,
  mitigationAttempted: false,
  mitigationSucceeded: false
})

describe("am ledger --workspace", () => {
  it.effect("tail and show see one workspace's entries only", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "am-cli-ws-"))
      const file = join(dir, "am.db")
      const store = `sqlite:${file}`
      // Team a's three entries first, then 600 of team b's (more than one page of the backward scan).
      yield* Effect.gen(function* () {
        const ledger = yield* LedgerService
        for (let i = 1; i <= 3; i++) yield* ledger.record(input(i, "team-a"))
        for (let i = 4; i <= 603; i++) yield* ledger.record(input(i, "team-b"))
      }).pipe(
        Effect.provide(
          Ledger.layer({ spoolDir: join(dir, "spool") }).pipe(Layer.provide(SqliteStore.layer({ filename: file })))
        ),
        Effect.scoped
      )

      const tail = yield* run(["--store", store, "--json", "ledger", "tail", "--limit", "10", "--workspace", "team-a"])
      assert.isTrue(Exit.isSuccess(tail))
      const lines = (yield* TestConsole.logLines).map(String)
      const entries = JSON.parse(lines.at(-1)!) as ReadonlyArray<LedgerEntry>
      assert.deepStrictEqual(
        entries.map((e) => e.requestId),
        [1, 2, 3].map((i) => `req_ws${String(i).padStart(8, "0")}`)
      )

      const own = yield* run(["--store", store, "ledger", "show", "req_ws00000001", "--workspace", "team-a"])
      assert.isTrue(Exit.isSuccess(own))
      const other = yield* run(["--store", store, "ledger", "show", "req_ws00000004", "--workspace", "team-a"])
      assert.isTrue(Exit.isFailure(other))
      const bySeq = yield* run(["--store", store, "ledger", "show", "5", "--workspace", "team-a"])
      assert.isTrue(Exit.isFailure(bySeq))
    }).pipe(Effect.provide(TestConsole.layer))
  )
})
