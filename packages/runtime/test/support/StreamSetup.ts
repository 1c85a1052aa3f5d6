/**
 * Streaming test setup: two `MemoryProvider`s (primary, secondary) scripted per test, the real
 * ledger over in-memory SQLite, default pricing and a memory event bus — all on the TestClock.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type CompletionChunk, EventBus, EventLog, LedgerStore, RunStore } from "@am/core"
import { RequestRecorder } from "@am/engine"
import { Ledger } from "@am/ledger"
import { SqliteStore } from "@am/store-sql"
import { type MemoryStep, MemoryProvider } from "@am/testkit"
import { PricingDefault } from "@am/usage"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { layerConfig, loadConfig } from "../../src/index.ts"

export const rawConfig = () => ({
  providers: {
    primary: {
      kind: "openai",
      keys: [{ id: "p1", secret: "sk-stream-primary-00000000" }],
      models: [{ name: "gpt-4o" }],
      breaker: { consecutiveFailures: 1, openFor: "30 seconds" }
    },
    secondary: {
      kind: "anthropic",
      keys: [{ id: "s1", secret: "sk-ant-stream-secondary-0000" }],
      models: [{ name: "claude-sonnet-4-6" }]
    }
  },
  routes: {
    default: [
      { provider: "primary", models: ["gpt-4o"] },
      { provider: "secondary", models: ["claude-sonnet-4-6"] }
    ]
  },
  retry: {
    base: "100 millis",
    max: "1 second",
    jitter: false,
    maxAttempts: 6,
    deadline: "60 seconds",
    providerRetries: 0
  },
  stream: { firstTokenTimeout: "5 seconds", stallTimeout: "2 seconds" },
  mitigation: { contentPolicy: "rewrite", rewriter: { kind: "rule" } }
})

export interface StreamScripts {
  readonly primary?: ReadonlyArray<MemoryStep>
  readonly secondary?: ReadonlyArray<MemoryStep>
}

export const streamSetup = (scripts: StreamScripts, edit: (raw: any) => any = (raw) => raw) =>
  Effect.gen(function* () {
    const config = yield* loadConfig(edit(rawConfig()), { env: {} }).pipe(Effect.orDie)
    const primary = MemoryProvider.make({ id: "primary", script: scripts.primary ?? [] })
    const secondary = MemoryProvider.make({ id: "secondary", kind: "anthropic", script: scripts.secondary ?? [] })
    const stores = SqliteStore.layer({ filename: ":memory:" })
    const audit = Layer.mergeAll(
      stores,
      Ledger.layer({ spoolDir: mkdtempSync(join(tmpdir(), "am-stream-spool-")) }).pipe(Layer.provide(stores)),
      PricingDefault
    )
    const layer = layerConfig(config, {
      providers: [primary, secondary],
      recorder: RequestRecorder.layerWithRuns
    }).pipe(Layer.provideMerge(audit), Layer.provideMerge(EventBus.layerMemory))
    return { config, primary, secondary, layer }
  })

export const request = (content = "hello") => ({
  messages: [{ role: "user" as const, content }] as const,
  metadata: { workspaceId: "w1" }
})

export const entries = Effect.flatMap(Effect.service(LedgerStore), (store) => store.range(1, 1000))

export const runOf = (id: string) => Effect.flatMap(Effect.service(RunStore), (runs) => runs.get(id))

export const topics = Effect.map(
  Effect.flatMap(Effect.service(EventLog), (log) => log.all),
  (events) => events.map((e) => e.topic)
)

/** What a client sees: text deltas as text, anything else by its tag (the finish with its reason). */
export const seen = (chunks: ReadonlyArray<CompletionChunk>) =>
  chunks.map((c) => (c._tag === "TextDelta" ? c.text : c._tag === "Finish" ? `Finish:${c.finishReason}` : c._tag))

/** Moves the TestClock in small steps until `fiber` is done, then joins it. */
export const drive = <A, E>(fiber: Fiber.Fiber<A, E>, step = 100): Effect.Effect<A, E> =>
  Effect.suspend(() =>
    fiber.pollUnsafe() !== undefined
      ? Fiber.join(fiber)
      : Effect.andThen(Effect.andThen(TestClock.adjust(step), Effect.yieldNow), drive(fiber, step))
  )
