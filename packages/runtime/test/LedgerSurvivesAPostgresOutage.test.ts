import { mkdtempSync, readFileSync } from "node:fs"
import { createServer, type Server, type Socket, connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EventBus, LedgerStore } from "@am/core"
import { Ledger, verify } from "@am/ledger"
import { PgStore } from "@am/store-sql"
import { MemoryProvider } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { Engine, RequestRecorder } from "@am/engine"
import { PricingDefault } from "@am/usage"
import { layerConfig, loadConfig } from "../src/index.ts"

const PG = { host: "127.0.0.1", port: 5432 }

/** A loopback TCP proxy to the machine's Postgres that the test can cut and reopen. */
const makeProxy = () =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const sockets = new Set<Socket>()
      let server: Server | undefined
      let port = 0
      const listen = () =>
        new Promise<void>((resolve) => {
          server = createServer((client) => {
            const upstream = connect(PG)
            sockets.add(client).add(upstream)
            client.pipe(upstream).pipe(client)
            const drop = () => {
              client.destroy()
              upstream.destroy()
            }
            client.on("error", drop).on("close", drop)
            upstream.on("error", drop).on("close", drop)
          })
          server.listen(port, "127.0.0.1", () => {
            port = (server!.address() as { port: number }).port
            resolve()
          })
        })
      await listen()
      const cut = () =>
        new Promise<void>((resolve) => {
          sockets.forEach((s) => {
            s.destroy()
          })
          sockets.clear()
          server!.close(() => resolve())
        })
      return { port: () => port, cut, reopen: listen }
    }),
    (proxy) => Effect.promise(() => proxy.cut())
  )

const yieldToIO = Effect.promise(() => new Promise<void>((r) => setImmediate(r)))

describe("a ledger whose Postgres connection is cut loses nothing", () => {
  it.effect("requests still succeed, entries spool, and all land in order once the proxy reopens", () =>
    Effect.gen(function* () {
      const proxy = yield* makeProxy()
      const schema = `am_outage_${Math.random().toString(36).slice(2, 10)}`
      const config = yield* loadConfig(
        {
          providers: {
            primary: {
              kind: "openai",
              keys: [{ id: "k1", secret: "sk-outage-test-0000" }],
              models: [{ name: "gpt-4o" }]
            }
          },
          routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
        },
        { env: {} }
      )
      const stores = PgStore.layer({
        url: `postgres://postgres@127.0.0.1:${proxy.port()}/test`,
        schema,
        maxConnections: 2
      })
      const spoolDir = mkdtempSync(join(tmpdir(), "am-outage-"))
      const ledger = Ledger.layer({ spoolDir }).pipe(Layer.provide(stores))
      const layer = layerConfig(config, {
        providers: [MemoryProvider.make({ id: "primary" })],
        recorder: RequestRecorder.layerWithRuns
      }).pipe(
        Layer.provideMerge(Layer.mergeAll(ledger, stores, PricingDefault)),
        Layer.provideMerge(EventBus.layerMemory)
      )
      yield* Effect.gen(function* () {
        const engine = yield* Engine
        const store = yield* LedgerStore
        const ask = (i: number) =>
          engine.complete({ messages: [{ role: "user", content: `q${i}` }], metadata: { workspaceId: "w" } })
        yield* Effect.forEach([1, 2, 3], ask)
        assert.strictEqual((yield* store.head)?.seq, 3)

        yield* Effect.promise(() => proxy.cut())
        const during = yield* Effect.forEach([4, 5, 6, 7], ask)
        assert.isTrue(
          during.every((a) => a.resilience.outcome === "SUCCESS"),
          "requests succeed during the outage"
        )
        const spooled = readFileSync(join(spoolDir, "ledger-spool.jsonl"), "utf8").trim().split("\n")
        assert.strictEqual(spooled.length, 4, "the four entries written during the outage are in the spool")

        yield* Effect.promise(() => proxy.reopen())
        // Let the replay schedule run (TestClock) until the store has everything.
        const landed = (): Effect.Effect<number> =>
          Effect.flatMap(
            Effect.orElseSucceed(store.head, () => undefined),
            (h) => Effect.succeed(h?.seq ?? 0)
          )
        const drive = (rounds: number): Effect.Effect<void> =>
          rounds === 0
            ? Effect.void
            : Effect.flatMap(landed(), (n) =>
                n >= 7
                  ? Effect.void
                  : Effect.andThen(Effect.andThen(TestClock.adjust("1 second"), yieldToIO), drive(rounds - 1))
              )
        yield* drive(300)
        const entries = yield* store.range(1, 100)
        assert.deepStrictEqual(
          entries.map((e) => e.seq),
          [1, 2, 3, 4, 5, 6, 7]
        )
        assert.isTrue(verify(entries).ok, "the chain is intact across the outage")
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      }).pipe(Effect.provide(layer))
    }).pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "None"))
  )
})
