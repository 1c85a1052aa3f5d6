/**
 * The request log records which key, model and prompt each request carried (whatever
 * the provider's auth header), plus stream flag, status and fault; fast mode answers a
 * fixed body but still logs key, model and stream; `Upstream.scoped` closes with its scope.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startUpstream, startUpstreams, Upstream } from "../src/index.ts"
import { callAnthropic, callGemini, callOpenAI } from "./support/sdks.ts"

describe("the request log", () => {
  it("records key, model, prompt (last user text), stream and status for each provider", async () => {
    const [o, a, g] = await startUpstreams([{ kind: "openai" }, { kind: "anthropic" }, { kind: "gemini" }])
    try {
      await callOpenAI(o!, { key: "sk-one", model: "gpt-4o", prompt: "first question" })
      await callOpenAI(o!, { key: "sk-two", model: "gpt-4o-mini", prompt: "second question", stream: true })
      await callAnthropic(a!, { key: "sk-ant-one", model: "claude-haiku-4-5", prompt: "bonjour" })
      await callGemini(g!, { key: "AIza-one", model: "gemini-2.5-pro", prompt: "hola", stream: true })
      const pick = (r: Upstream["requests"][number]) => ({
        key: r.key,
        model: r.model,
        prompt: r.prompt,
        stream: r.stream,
        status: r.status
      })
      assert.deepStrictEqual(o!.requests.map(pick), [
        { key: "sk-one", model: "gpt-4o", prompt: "first question", stream: false, status: 200 },
        { key: "sk-two", model: "gpt-4o-mini", prompt: "second question", stream: true, status: 200 }
      ])
      assert.deepStrictEqual(a!.requests.map(pick), [
        { key: "sk-ant-one", model: "claude-haiku-4-5", prompt: "bonjour", stream: false, status: 200 }
      ])
      assert.deepStrictEqual(g!.requests.map(pick), [
        { key: "AIza-one", model: "gemini-2.5-pro", prompt: "hola", stream: true, status: 200 }
      ])
      assert.isAtMost(Math.abs(o!.requests[0]!.at - Date.now()), 10_000)
    } finally {
      await Promise.all([o!.close(), a!.close(), g!.close()])
    }
  })

  it("a request without a key is rejected the provider's way and logged as invalid_key", async () => {
    const [o, g] = await startUpstreams([{ kind: "openai" }, { kind: "gemini" }])
    try {
      const r1 = await fetch(`${o!.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      })
      assert.strictEqual(r1.status, 401)
      assert.match(((await r1.json()) as any).error.message, /You didn't provide an API key/)
      const r2 = await fetch(`${g!.origin}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] })
      })
      assert.strictEqual(r2.status, 403)
      assert.strictEqual(((await r2.json()) as any).error.status, "PERMISSION_DENIED")
      assert.deepStrictEqual(
        [o!.requests[0]!.fault, o!.requests[0]!.key, g!.requests[0]!.fault],
        ["invalid_key", undefined, "invalid_key"]
      )
    } finally {
      await Promise.all([o!.close(), g!.close()])
    }
  })

  it("invalid JSON and missing fields get the provider's 400; unknown paths its 404; models are listed", async () => {
    const u = await startUpstream({ kind: "openai", models: ["gpt-4o", "gpt-4o-mini"] })
    const headers = { "content-type": "application/json", authorization: "Bearer sk-x" }
    try {
      const bad = await fetch(`${u.baseURL}/chat/completions`, { method: "POST", headers, body: "{not json" })
      assert.strictEqual(bad.status, 400)
      assert.match(((await bad.json()) as any).error.message, /We could not parse the JSON body/)
      const missing = await fetch(`${u.baseURL}/chat/completions`, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: "gpt-4o" })
      })
      assert.deepStrictEqual(((await missing.json()) as any).error.param, "messages")
      const unknown = await fetch(`${u.baseURL}/completions/nope`, { method: "POST", headers, body: "{}" })
      assert.strictEqual(unknown.status, 404)
      const models = await fetch(`${u.baseURL}/models`, { headers })
      assert.deepStrictEqual(
        ((await models.json()) as any).data.map((m: { id: string }) => m.id),
        ["gpt-4o", "gpt-4o-mini"]
      )
      assert.deepStrictEqual(
        u.requests.map((r) => [r.status, r.fault]),
        [
          [400, "malformed_request"],
          [400, "malformed_request"],
          [404, undefined],
          [200, undefined]
        ]
      )
    } finally {
      await u.close()
    }
  })

  it("fast mode answers the same precomputed body and still logs key, model and stream", async () => {
    const u = await startUpstream({ kind: "openai", fast: true, reply: "fixed" })
    try {
      const a = await callOpenAI(u, { key: "sk-f1", model: "gpt-4o", prompt: "one" })
      const b = await callOpenAI(u, { key: "sk-f2", model: "gpt-4o-mini", prompt: "two", stream: true })
      assert.strictEqual(a.text, "fixed")
      assert.strictEqual(a.finish, "stop")
      assert.strictEqual(b.text, "fixed")
      assert.deepStrictEqual(
        u.requests.map((r) => [r.key, r.model, r.stream, r.prompt]),
        [
          ["sk-f1", "gpt-4o", false, ""],
          ["sk-f2", "gpt-4o-mini", true, ""]
        ]
      )
    } finally {
      await u.close()
    }
  })

  it("the log keeps at most maxLog entries, dropping the oldest", async () => {
    const u = await startUpstream({ kind: "openai", fast: true, maxLog: 4 })
    try {
      for (let i = 0; i < 7; i++) await callOpenAI(u, { key: `sk-${i}` })
      assert.isAtMost(u.requests.length, 4)
      assert.strictEqual(u.requests.at(-1)!.key, "sk-6")
    } finally {
      await u.close()
    }
  })

  it.effect("Upstream.scoped serves inside the scope and is closed when the scope ends", () =>
    Effect.gen(function* () {
      const origin = yield* Effect.scoped(
        Effect.gen(function* () {
          const u = yield* Upstream.scoped({ kind: "anthropic" })
          const o = yield* Effect.promise(() => callAnthropic(u))
          assert.strictEqual(o.finish, "end_turn")
          return u.origin
        })
      )
      const after = yield* Effect.promise(() =>
        fetch(`${origin}/v1/messages`, { method: "POST" }).then(
          () => "answered",
          () => "refused"
        )
      )
      assert.strictEqual(after, "refused")
    })
  )
})
