/**
 * The run journal gives `llm_runs` the ledger's guarantees: start and finish never fail or wait
 * on the store (one merged write per request), rows the store refuses stay queued and land once
 * it answers, and after a crash the runs that were started but never finished are written as
 * INTERRUPTED on the next start — no row stays STARTED, none is lost.
 */
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type LlmRun, StoreError } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schedule, Scope } from "effect"
import { JOURNAL_FILE, make } from "../src/RunJournal.ts"

const started = (id: string): LlmRun => ({
  id,
  workspaceId: "ws",
  promptSha256: "p".repeat(64),
  status: "STARTED",
  createdAt: 1_000
})

describe("run journal", () => {
  it.live("merges start and finish into one row, keeps refused rows, and finishes a crash's runs as INTERRUPTED", () =>
    Effect.gen(function* () {
      const spoolDir = join(mkdtempSync(join(tmpdir(), "am-journal-")), "spool")
      const stored = new Map<string, LlmRun>()
      const writes: Array<number> = []
      let refusing = true
      const options = {
        spoolDir,
        write: (rows: ReadonlyArray<LlmRun>) =>
          refusing
            ? Effect.fail(new StoreError({ store: "llm_runs", operation: "write", message: "refused" }))
            : Effect.sync(() => {
                writes.push(rows.length)
                for (const r of rows) stored.set(r.id, r)
              }),
        get: (id: string) => Effect.succeed(stored.get(id)),
        usage: () => Effect.succeed([]),
        retry: Schedule.spaced("5 millis")
      }
      // The first process: r1 finishes while the store refuses, r2 is cut by a crash (its scope never closes).
      const crashed = yield* Scope.make()
      const first = yield* make(options).pipe(Scope.provide(crashed))
      yield* first.store.start(started("r1"))
      yield* first.store.start(started("r2"))
      yield* first.store.finish("r1", { status: "SUCCEEDED", finishedAt: 1_500, latencyMs: 500 })
      assert.strictEqual((yield* first.store.get("r1"))?.status, "SUCCEEDED", "held rows read back before they land")
      assert.strictEqual(stored.size, 0)
      const mode = statSync(join(spoolDir, JOURNAL_FILE)).mode & 0o777
      assert.strictEqual(mode, 0o600)
      assert.strictEqual(statSync(spoolDir).mode & 0o777, 0o700)
      // Simulate the kill: stop its writer without its finalizer's flush.
      yield* Effect.forkDetach(Scope.close(crashed, Exit.void)).pipe(Effect.asVoid)
      refusing = false
      const second = yield* make(options)
      while (stored.size < 2) yield* Effect.sleep("5 millis")
      assert.strictEqual(stored.get("r1")?.status, "SUCCEEDED")
      assert.strictEqual(stored.get("r1")?.latencyMs, 500)
      assert.strictEqual(stored.get("r2")?.status, "INTERRUPTED")
      assert.strictEqual(stored.get("r2")?.errorCode, "interrupted")
      assert.strictEqual(second.pending(), 0)
    }).pipe(Effect.scoped)
  )
})
