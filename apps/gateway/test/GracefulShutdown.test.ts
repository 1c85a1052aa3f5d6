/**
 * SIGTERM under load: the gateway stops accepting, finishes what is in flight, flushes the
 * ledger, and exits 0 — and every request it answered has its ledger entry.
 */
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { startUpstreams, type Upstream } from "@am/testkit"
import { afterAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, KEYS } from "./support/Harness.ts"
import { load, spawnGateway, tempDir, until } from "./support/Process.ts"

let upstreams: ReadonlyArray<Upstream> = []
afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.close()))
})

// Real processes under load: generous bounds, as the machine may be busy (no timing is asserted).
describe("graceful shutdown", { timeout: 120_000 }, () => {
  it("on SIGTERM under load: exits 0, and every answered request has its ledger entry", async () => {
    upstreams = await startUpstreams([{ kind: "openai", keys: [KEYS.p1], models: ["gpt-4o"], latencyMs: 40 }])
    const dir = tempDir("am-gw-term-")
    const db = join(dir, "am.db")
    const gw = await spawnGateway(
      {
        providers: {
          primary: {
            kind: "openai",
            baseURL: upstreams[0]!.baseURL,
            keys: [{ id: "p1", secret: KEYS.p1 }],
            models: [{ name: "gpt-4o" }]
          }
        },
        routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
        ledger: { store: `sqlite:${db}` },
        gatewayKeys: [{ id: "t", secret: GATEWAY_KEY, workspace: "team-t" }]
      },
      { cwd: dir }
    )
    const traffic = load(gw.url, GATEWAY_KEY, 16)
    await until(() => traffic.result.answered.length >= 150, "150 answers")
    gw.kill("SIGTERM")
    const code = await gw.exited
    const result = await traffic.stop()
    expect(code, gw.output()).toBe(0)
    expect(result.answered.length).toBeGreaterThanOrEqual(150)
    // Nothing the clients sent was answered 5xx except "shutting down" refusals.
    expect(result.failedStatus.filter((s) => s !== 503)).toEqual([])

    const sqlite = new DatabaseSync(db, { readOnly: true })
    const rows = sqlite.prepare("SELECT request_id, workspace_id FROM ledger_entries").all() as Array<{
      request_id: string
      workspace_id: string
    }>
    const runs = sqlite.prepare("SELECT id, workspace_id, status FROM llm_runs").all() as Array<{
      id: string
      workspace_id: string
      status: string
    }>
    sqlite.close()
    // llm_runs too: every answered request finished, in the gateway key's workspace.
    const finished = new Map(runs.map((r) => [r.id, r]))
    expect(result.answered.filter((id) => finished.get(id)?.status !== "SUCCEEDED")).toEqual([])
    expect(new Set(runs.map((r) => r.workspace_id))).toEqual(new Set(["team-t"]))
    const ledgered = new Set(rows.map((r) => r.request_id))
    const missing = result.answered.filter((id) => !ledgered.has(id))
    expect(missing).toEqual([])
    expect(new Set(rows.map((r) => r.workspace_id))).toEqual(new Set(["team-t"]))
  })
})
