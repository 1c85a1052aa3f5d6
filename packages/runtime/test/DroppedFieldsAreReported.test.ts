/**
 * The library reports what a provider could not honour: through `createEngine`, an answer from
 * an Anthropic upstream (the official SDK against the testkit) to a request with `temperature`
 * and `logprobs` — which the Anthropic adapter never sends — carries
 * `resilience.droppedFields: ["logprobs", "temperature"]`, and its ledger entry (SQLite, read
 * back from the file) records the same list; the same request answered by
 * OpenAI drops nothing and records nothing.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { startUpstreams, type Upstream } from "@am/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createEngine } from "../src/index.ts"

let upstreams: ReadonlyArray<Upstream> = []
beforeAll(async () => {
  upstreams = await startUpstreams([
    { kind: "anthropic", keys: ["sk-ant-dropped-0001"], models: ["claude-sonnet-4-5"] },
    { kind: "openai", keys: ["sk-dropped-openai-0001"], models: ["gpt-4o"] }
  ])
})
afterAll(() => Promise.all(upstreams.map((u) => u.close())))

describe("dropped fields through createEngine", () => {
  it("are on the answer's resilience and in its ledger entry", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "am-dropped-")), "am.db")
    const engine = createEngine({
      providers: {
        claude: {
          kind: "anthropic",
          baseURL: upstreams[0]!.baseURL,
          keys: [{ id: "a1", secret: "sk-ant-dropped-0001" }],
          models: [{ name: "claude-sonnet-4-5" }]
        },
        gpt: {
          kind: "openai",
          baseURL: upstreams[1]!.baseURL,
          keys: [{ id: "o1", secret: "sk-dropped-openai-0001" }],
          models: [{ name: "gpt-4o" }]
        }
      },
      routes: {
        claude: [{ provider: "claude", models: ["claude-sonnet-4-5"] }],
        gpt: [{ provider: "gpt", models: ["gpt-4o"] }]
      },
      ledger: { store: `sqlite:${file}` }
    })
    const ask = { messages: [{ role: "user" as const, content: "Hi" }], temperature: 0.2, logprobs: true }
    let ids: Array<string>
    try {
      const claude = await engine.complete({ ...ask, route: "claude" })
      expect(claude.resilience.provider).toBe("claude")
      expect(claude.resilience.droppedFields).toEqual(["logprobs", "temperature"])
      const gpt = await engine.complete({ ...ask, route: "gpt" })
      expect(gpt.resilience.droppedFields).toBeUndefined()
      // Streamed, the committed answer's resilience says the same.
      const streamed = engine.stream({ ...ask, route: "claude" })
      let text = ""
      for await (const c of streamed) if (c._tag === "TextDelta") text += c.text
      expect(text.length).toBeGreaterThan(0)
      expect(streamed.commit?.resilience.droppedFields).toEqual(["logprobs", "temperature"])
      ids = [claude.resilience.requestId, gpt.resilience.requestId, streamed.commit!.requestId]
    } finally {
      await engine.close()
    }
    const db = new DatabaseSync(file, { readOnly: true })
    try {
      const rows = db.prepare("SELECT request_id, entry FROM ledger_entries ORDER BY seq").all() as Array<{
        request_id: string
        entry: string
      }>
      expect(rows.map((r) => r.request_id)).toEqual(ids)
      expect(JSON.parse(rows[0]!.entry).droppedFields).toEqual(["logprobs", "temperature"])
      expect(JSON.parse(rows[1]!.entry).droppedFields).toBeUndefined()
      expect(JSON.parse(rows[2]!.entry).droppedFields).toEqual(["logprobs", "temperature"])
    } finally {
      db.close()
    }
  })
})
