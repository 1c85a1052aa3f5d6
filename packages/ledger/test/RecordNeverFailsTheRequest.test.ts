import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Ledger as LedgerService } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { Ledger, MemoryLedgerStore, verify } from "../src/index.ts"
import { input, tempDir } from "./support.ts"

describe("record never fails the request", () => {
  it.effect("store down and the spool unwritable: the entry is kept in memory and still lands later", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        // A file where the spool directory should be: mkdir and append fail.
        const blocked = join(dir, "not-a-dir")
        writeFileSync(blocked, "")
        const handle = MemoryLedgerStore.make()
        const ctx = yield* Layer.build(
          Ledger.layer({ spoolDir: blocked, replaySchedule: Schedule.spaced("1 second") }).pipe(
            Layer.provide(handle.layer)
          )
        )
        const ledger = Context.get(ctx, LedgerService)
        handle.setDown(true)
        const entry = yield* ledger.record(input({ requestId: "kept" }))
        assert.strictEqual(entry.seq, 1)
        assert.strictEqual(handle.entries().length, 0)
        handle.setDown(false)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(
          handle.entries().map((e) => e.requestId),
          ["kept"]
        )
        assert.isTrue(verify(handle.entries()).ok)
      })
    )
  )

  it.effect("the README example: the preview is redacted and the chain verifies", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const store = MemoryLedgerStore.make()
        const LedgerLive = Ledger.layer({ spoolDir: dir }).pipe(Layer.provide(store.layer))
        const entry = yield* LedgerService.use((ledger) =>
          ledger.record({
            requestId: "req-1",
            startedAt: 0,
            finishedAt: 120,
            route: "chat",
            initialMessages: [{ role: "user", content: "Hello, I am bob@example.com" }],
            responseText: "Hi!",
            outcome: "SUCCESS",
            attempts: [{ provider: "openai", model: "gpt-4o", outcome: "success", latencyMs: 120 }],
            events: [],
            latencyMs: 120,
            apiCalls: 1,
            mitigationAttempted: false,
            mitigationSucceeded: false
          })
        ).pipe(Effect.provide(LedgerLive))
        assert.strictEqual(entry.initialPromptPreview, "Hello, I am [EMAIL]")
        assert.deepInclude(verify(store.entries()), { ok: true, count: 1, lastSeq: 1 })
      })
    )
  )
})
