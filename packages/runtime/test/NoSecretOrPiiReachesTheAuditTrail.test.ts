import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Ledger } from "@am/ledger"
import { SqliteStore } from "@am/store-sql"
import { Metrics, Telemetry } from "@am/telemetry"
import { MemoryProvider } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, References } from "effect"
import { SqlClient } from "effect/sql"
import { Engine, RequestRecorder } from "@am/engine"
import { PricingDefault } from "@am/usage"
import { layerConfig, loadConfig } from "../src/index.ts"

const SECRETS = ["sk-e2e-secret-key-one-0000000000", "sk-e2e-secret-key-two-1111111111"]
// Planted in the prompt and in a provider's error message.
const PLANTED = ["jane.doe@example.com", "4111 1111 1111 1111", "sk-proj-PLANTED00000000000000", "+44 20 7946 0958"]

describe("no key or PII reaches the audit trail (ledger rows, events, logs, metrics)", () => {
  it.effect("keys and PII planted in prompts and provider errors appear nowhere downstream", () =>
    Effect.gen(function* () {
      const logLines: Array<string> = []
      const effectLogs: Array<string> = []
      const config = yield* loadConfig(
        {
          providers: {
            primary: {
              kind: "openai",
              keys: [
                { id: "k1", secret: SECRETS[0] },
                { id: "k2", secret: SECRETS[1] }
              ],
              models: [{ name: "gpt-4o" }]
            }
          },
          routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
        },
        { env: {} }
      )
      const provider = MemoryProvider.make({
        id: "primary",
        scripts: {
          "key:k1": [
            {
              fail: {
                kind: "http",
                status: 401,
                message: `Incorrect API key provided: ${SECRETS[0]} (${PLANTED[2]}) for ${PLANTED[0]}, call ${PLANTED[3]}`
              }
            }
          ]
        }
      })
      const dir = mkdtempSync(join(tmpdir(), "am-scan-"))
      const dbFile = join(dir, "am.db")
      const stores = SqliteStore.layer({ filename: dbFile })
      const audit = Layer.mergeAll(
        stores,
        Ledger.layer({ spoolDir: join(dir, "spool") }).pipe(Layer.provide(stores)),
        Telemetry.layer({ logs: { sink: (line) => Effect.sync(() => logLines.push(line)) } }).pipe(
          Layer.provide(stores)
        ),
        PricingDefault
      )
      const layer = layerConfig(config, { providers: [provider], recorder: RequestRecorder.layerWithRuns }).pipe(
        Layer.provideMerge(audit)
      )
      const collect = Logger.make((o) => {
        effectLogs.push(JSON.stringify({ m: o.message, a: o.fiber.getRef(References.CurrentLogAnnotations) }))
      })
      const scanned = yield* Effect.gen(function* () {
        const engine = yield* Engine
        const answer = yield* engine.complete({
          messages: [
            {
              role: "user",
              content: `I am ${PLANTED[0]}, card ${PLANTED[1]}, phone ${PLANTED[3]}, my key is ${PLANTED[2]}. Summarise.`
            }
          ],
          metadata: { workspaceId: "w" }
        })
        assert.strictEqual(answer.resilience.attempts[0]!.class, "auth_invalid")
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ entry: string }>`SELECT entry FROM ledger_entries`
        const runs = yield* sql<Record<string, unknown>>`SELECT * FROM llm_runs`
        return { rows, runs }
      }).pipe(Effect.provide(layer), Effect.provide(Logger.layer([collect])), Effect.scoped)
      // The scope is closed, so the event writer has flushed: read the persisted events.
      const db = new DatabaseSync(dbFile)
      const events = db.prepare("SELECT * FROM telemetry_events").all()
      db.close()
      const metrics = yield* Metrics.prometheus
      const haystack = [
        JSON.stringify(scanned),
        JSON.stringify(events),
        logLines.join("\n"),
        effectLogs.join("\n"),
        metrics
      ].join("\n")
      assert.isAbove(events.length, 0)
      // Token usage reached the GenAI metric through the events.
      assert.match(metrics, /gen_ai_client_token_usage_count\{[^}]*gen_ai_token_type="input"[^}]*\} [1-9]/)
      assert.isAbove(scanned.rows.length, 0)
      assert.isAbove(logLines.length, 0)
      assert.include(haystack, "[EMAIL]", "the ledger kept a redacted preview")
      for (const s of [...SECRETS, ...PLANTED]) assert.notInclude(haystack, s)
      assert.notInclude(haystack, "4111111111111111")
    }).pipe(Effect.provideService(References.MinimumLogLevel, "Warn"))
  )
})
