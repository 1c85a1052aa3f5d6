import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { EventStore, Ledger as LedgerService, type LedgerInput, RunStore } from "@am/core"
import { Ledger } from "@am/ledger"
import { SqliteStore } from "@am/store-sql"
import { assert, describe, it } from "@effect/vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect, Exit, Layer } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { cli } from "../src/Commands.ts"
import { summarize } from "../src/EventSummary.ts"

const run = (args: ReadonlyArray<string>) =>
  Command.runWith(cli, { version: "test" })(args).pipe(Effect.provide(NodeServices.layer), Effect.exit)

const input = (i: number): LedgerInput => ({
  requestId: `req_cli${String(i).padStart(8, "0")}`,
  startedAt: 1_700_000_000_000 + i * 1000,
  finishedAt: 1_700_000_000_000 + i * 1000 + 40,
  workspaceId: "team-a",
  route: "default",
  initialMessages: [{ role: "user", content: `question ${i}` }],
  responseText: `answer ${i}`,
  outcome: "SUCCESS",
  attempts: [
    {
      provider: "primary",
      model: "gpt-4o",
      keyId: "k1",
      keyFingerprint: "fp_000000000001",
      outcome: "success",
      latencyMs: 40
    }
  ],
  events: [],
  provider: "primary",
  model: "gpt-4o",
  latencyMs: 40,
  apiCalls: 1,
  mitigationAttempted: false,
  mitigationSucceeded: false
})

describe("am: operator commands over a SQLite store", () => {
  it.effect("ledger verify passes an untouched chain and fails (non-zero) on a modified entry", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "am-cli-"))
      const file = join(dir, "am.db")
      const store = `sqlite:${file}`
      yield* Effect.gen(function* () {
        const ledger = yield* LedgerService
        yield* Effect.forEach([1, 2, 3, 4, 5], (i) => ledger.record(input(i)))
      }).pipe(
        Effect.provide(
          Ledger.layer({ spoolDir: join(dir, "spool") }).pipe(Layer.provide(SqliteStore.layer({ filename: file })))
        ),
        Effect.scoped
      )
      const ok = yield* run(["--store", store, "ledger", "verify"])
      assert.isTrue(Exit.isSuccess(ok))
      assert.isTrue((yield* TestConsole.logLines).some((l) => String(l).includes("intact: 5 entries")))

      const tail = yield* run(["--store", store, "--json", "ledger", "tail", "--limit", "2"])
      assert.isTrue(Exit.isSuccess(tail))

      // Tamper with one field of entry 3, as someone with database access might.
      const db = new DatabaseSync(file)
      const row = db.prepare("SELECT entry FROM ledger_entries WHERE seq = 3").get() as { entry: string }
      const entry = JSON.parse(row.entry)
      entry.latencyMs = 1
      db.prepare("UPDATE ledger_entries SET entry = ? WHERE seq = 3").run(JSON.stringify(entry))
      db.close()
      const broken = yield* run(["--store", store, "ledger", "verify"])
      assert.isTrue(Exit.isFailure(broken))
      assert.include(String(Exit.isFailure(broken) ? broken.cause : ""), "seq 3")
      rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.effect("usage report and events summarize read the same store", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "am-cli-"))
      const file = join(dir, "am.db")
      yield* Effect.gen(function* () {
        const runs = yield* RunStore
        const events = yield* EventStore
        yield* runs.start({
          id: "r1",
          workspaceId: "team-a",
          promptSha256: "x",
          status: "STARTED",
          createdAt: Date.now()
        })
        yield* runs.finish("r1", {
          status: "SUCCEEDED",
          provider: "primary",
          model: "gpt-4o",
          inputTokens: 10,
          outputTokens: 5,
          totalTokens: 15,
          costUsd: 0.5
        })
        yield* events.write([
          {
            topic: "api.call.failure",
            at: Date.now(),
            provider: "primary",
            model: "gpt-4o",
            keyId: "k1",
            keyFingerprint: "fp_1",
            attempt: 1,
            latencyMs: 30,
            class: "overloaded",
            scope: "provider",
            errorType: "server_error"
          },
          {
            topic: "api.call.success",
            at: Date.now(),
            provider: "secondary",
            model: "m",
            keyId: "a1",
            keyFingerprint: "fp_2",
            attempt: 2,
            latencyMs: 50
          },
          { topic: "provider.failover", at: Date.now(), fromProvider: "primary", reason: "overloaded" }
        ])
      }).pipe(Effect.provide(SqliteStore.layer({ filename: file })), Effect.scoped)
      const report = yield* run([
        "--store",
        `sqlite:${file}`,
        "--json",
        "usage",
        "report",
        "--workspace",
        "team-a",
        "--from",
        "1d"
      ])
      assert.isTrue(Exit.isSuccess(report), String(Exit.isFailure(report) ? report.cause : ""))
      const summary = yield* run(["--store", `sqlite:${file}`, "--json", "events", "summarize", "--since", "1h"])
      assert.isTrue(Exit.isSuccess(summary))
      const lines = (yield* TestConsole.logLines).map(String).join("\n")
      assert.include(lines, "team-a")
      assert.include(lines, '"failoversAway": 1')
      rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.effect("a memory store is refused with a clear message", () =>
    Effect.gen(function* () {
      const exit = yield* run(["--store", "memory", "ledger", "tail"])
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "nothing outlives the process")
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it("summarize counts attempts, failures by class, failovers and latency per provider", () => {
    const rows = summarize([
      {
        topic: "api.call.failure",
        at: 1,
        provider: "p",
        model: "m",
        keyId: "k",
        keyFingerprint: "f",
        attempt: 1,
        latencyMs: 10,
        class: "rate_limit",
        scope: "key",
        errorType: "x"
      },
      {
        topic: "api.call.success",
        at: 2,
        provider: "p",
        model: "m",
        keyId: "k",
        keyFingerprint: "f",
        attempt: 2,
        latencyMs: 30
      },
      { topic: "circuit.tripped", at: 3, breaker: "provider:p", provider: "p", openForMs: 1000 }
    ])
    assert.deepStrictEqual(rows[0], {
      provider: "p",
      attempts: 2,
      successes: 1,
      failuresByClass: { rate_limit: 1 },
      failoversAway: 0,
      breakerTrips: 1,
      latencyMs: { p50: 10, p95: 30, p99: 30 }
    })
  })
})
