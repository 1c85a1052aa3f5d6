// `pnpm bench run-journal [N]` — what recording a request's `llm_runs` row costs on the request
// path: `RunStore.start` + `RunStore.finish` through the run journal (the store's write is a
// no-op, so this is the journal's own cost), for 1 and 64 concurrent callers, three interleaved
// rounds, medians. Also the event loop's p99 delay while it runs (a synchronous append per
// request holds the loop; a grouped asynchronous write does not). Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { monitorEventLoopDelay } from "node:perf_hooks"
import type { LlmRun } from "@am/core"
import { Effect, References } from "effect"
import * as RunJournal from "../src/RunJournal.ts"

const N = Number(process.argv[2] ?? 20_000)
const ROUNDS = 3
const dir = mkdtempSync(join(tmpdir(), "am-journal-bench-"))
let runs = 0

const started = (i: number): LlmRun => ({
  id: `req_${i.toString(36).padStart(12, "0")}`,
  workspaceId: "ws-bench",
  promptSha256: "a".repeat(64),
  status: "STARTED",
  createdAt: 1_700_000_000_000 + i
})

const measure = (concurrency: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const journal = yield* RunJournal.make({
        spoolDir: join(dir, `${concurrency}-${++runs}`),
        write: () => Effect.void,
        get: () => Effect.succeed(undefined),
        usage: () => Effect.succeed([])
      })
      const delay = monitorEventLoopDelay({ resolution: 1 })
      delay.enable()
      const t0 = performance.now()
      yield* Effect.forEach(
        Array.from({ length: N }, (_, i) => i),
        (i) =>
          Effect.andThen(
            journal.store.start(started(i)),
            journal.store.finish(started(i).id, {
              status: "SUCCEEDED",
              finishedAt: 1_700_000_000_400 + i,
              latencyMs: 400,
              inputTokens: 120,
              outputTokens: 40,
              totalTokens: 160,
              costUsd: 0.0009,
              provider: "openai",
              model: "gpt-4o"
            })
          ),
        { concurrency, discard: true }
      )
      const ms = performance.now() - t0
      delay.disable()
      return { perSec: (N / ms) * 1000, p99DelayMs: delay.percentile(99) / 1e6 }
    })
  ).pipe(Effect.provideService(References.MinimumLogLevel, "Error"))

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const results = new Map<number, Array<{ perSec: number; p99DelayMs: number }>>()
for (let round = 0; round < ROUNDS; round++) {
  for (const concurrency of [1, 64]) {
    const r = await Effect.runPromise(measure(concurrency))
    results.set(concurrency, [...(results.get(concurrency) ?? []), r])
  }
}
console.log(`run-journal: start + finish per request, ${N} requests, median of ${ROUNDS} interleaved rounds`)
for (const [concurrency, xs] of results) {
  console.log(
    `  ${String(concurrency).padStart(2)} caller(s) ${Math.round(median(xs.map((x) => x.perSec)))
      .toString()
      .padStart(
        9
      )} requests/s   event-loop delay p99 ${median(xs.map((x) => x.p99DelayMs)).toFixed(2)} ms   (rounds: ${xs.map((x) => Math.round(x.perSec)).join(", ")})`
  )
}
rmSync(dir, { recursive: true, force: true })
