import { RunStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { backends } from "./support/backends.ts"
import { run } from "./support/fixtures.ts"

const T0 = 1_700_000_000_000

for (const backend of backends) {
  describe.skipIf(backend.skip)(`llm_runs on ${backend.name}`, () => {
    it.effect("starts a run, finishes it and reads it back", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const started = run("r1", { pipelineRunId: "p1", stage: "draft", idempotencyKey: "idem-1" })
        yield* runs.start(started)
        assert.deepStrictEqual(yield* runs.get("r1"), started)
        yield* runs.finish("r1", {
          status: "SUCCEEDED",
          inputTokens: 120,
          outputTokens: 30,
          totalTokens: 150,
          costUsd: 0.00125,
          latencyMs: 812.5,
          finishedAt: T0 + 900
        })
        assert.deepStrictEqual(yield* runs.get("r1"), {
          ...started,
          status: "SUCCEEDED",
          inputTokens: 120,
          outputTokens: 30,
          totalTokens: 150,
          costUsd: 0.00125,
          latencyMs: 812.5,
          finishedAt: T0 + 900
        })
        yield* runs.start(run("r2"))
        yield* runs.finish("r2", { status: "FAILED", errorCode: "RATE_LIMITED" })
        const failed = yield* runs.get("r2")
        assert.strictEqual(failed?.status, "FAILED")
        assert.strictEqual(failed?.errorCode, "RATE_LIMITED")
        assert.isUndefined(yield* runs.get("nope"))
        const missing = yield* Effect.flip(runs.finish("nope", { status: "FAILED" }))
        assert.match(missing.message, /no run with id nope/)
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("refuses a second answered run with the same idempotency_key, but allows many without one", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        yield* runs.start(run("a", { idempotencyKey: "same", status: "SUCCEEDED" }))
        const error = yield* Effect.flip(runs.start(run("b", { idempotencyKey: "same", status: "SUCCEEDED" })))
        assert.strictEqual(error._tag, "StoreError")
        assert.match(error.message, /^duplicate idempotency_key/)
        assert.isUndefined(yield* runs.get("b"))
        const again = yield* Effect.flip(runs.start(run("a")))
        assert.match(again.message, /^duplicate run id: a/)
        yield* runs.start(run("c"))
        yield* runs.start(run("d"))
        assert.strictEqual((yield* runs.get("d"))?.id, "d")
      }).pipe(Effect.provide(backend.layer()))
    )

    it.effect("aggregates usage by workspace, provider and model over [from, to)", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const rows: ReadonlyArray<[string, string, string, string, number, number, number, number]> = [
          ["u1", "ws-1", "openai", "gpt-4o", 100, 10, 0.5, T0],
          ["u2", "ws-1", "openai", "gpt-4o", 200, 20, 0.25, T0 + 10],
          ["u3", "ws-1", "anthropic", "claude", 50, 5, 0.125, T0 + 20],
          ["u4", "ws-2", "openai", "gpt-4o", 7, 3, 0, T0 + 30],
          ["u5", "ws-1", "openai", "gpt-4o", 1000, 1000, 9, T0 + 100], // at `to`: excluded
          ["u6", "ws-1", "openai", "gpt-4o", 1000, 1000, 9, T0 - 1] // before `from`: excluded
        ]
        for (const [id, workspaceId, provider, model, inputTokens, outputTokens, costUsd, createdAt] of rows) {
          yield* runs.start(run(id, { workspaceId, provider, model, createdAt }))
          yield* runs.finish(id, { status: "SUCCEEDED", inputTokens, outputTokens, costUsd })
        }
        yield* runs.start(run("u7", { provider: "openai", model: "gpt-4o", createdAt: T0 + 40 })) // unfinished
        const report = yield* runs.usage({ from: T0, to: T0 + 100 })
        assert.deepStrictEqual(report, [
          {
            workspaceId: "ws-1",
            provider: "anthropic",
            model: "claude",
            requests: 1,
            inputTokens: 50,
            outputTokens: 5,
            costUsd: 0.125
          },
          {
            workspaceId: "ws-1",
            provider: "openai",
            model: "gpt-4o",
            requests: 3,
            inputTokens: 300,
            outputTokens: 30,
            costUsd: 0.75
          },
          {
            workspaceId: "ws-2",
            provider: "openai",
            model: "gpt-4o",
            requests: 1,
            inputTokens: 7,
            outputTokens: 3,
            costUsd: 0
          }
        ])
        // The report's total is the sum of its rows, and equals what the runs in range recorded.
        const total = report.reduce((s, r) => s + r.inputTokens + r.outputTokens, 0)
        assert.strictEqual(total, 100 + 10 + 200 + 20 + 50 + 5 + 7 + 3)
        assert.strictEqual(
          report.reduce((s, r) => s + r.requests, 0),
          5
        )
        const ws2 = yield* runs.usage({ workspaceId: "ws-2", from: T0, to: T0 + 100 })
        assert.deepStrictEqual(
          ws2.map((r) => [r.workspaceId, r.requests]),
          [["ws-2", 1]]
        )
        assert.deepStrictEqual(yield* runs.usage({ from: T0 + 1000, to: T0 + 2000 }), [])
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}
