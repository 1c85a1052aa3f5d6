import { assert, describe, it } from "@effect/vitest"
import { MemoryProvider, startUpstream } from "@am/testkit"
import {
  AllProvidersFailedError,
  AmError,
  ConfigurationError,
  createEngine,
  InterruptedError,
  InvalidRequestError
} from "../src/index.ts"

const config = (baseURL: string) => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL,
      keys: [{ id: "k1", secret: "sk-facade-secret-000000" }],
      models: [{ name: "gpt-4o" }]
    }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { maxAttempts: 2, providerRetries: 0 }
})

describe("createEngine: the Promise facade", () => {
  it("completes through the official SDK and reports the trail", async () => {
    const upstream = await startUpstream({ kind: "openai" })
    try {
      await using engine = createEngine(config(upstream.baseURL))
      const answer = await engine.complete({ messages: [{ role: "user", content: "hi" }] })
      assert.strictEqual(answer.finishReason, "stop")
      assert.strictEqual(answer.resilience.outcome, "SUCCESS")
      assert.strictEqual(upstream.requests.length, 1)
      const state = await engine.state()
      assert.strictEqual(state.keys[0]!.id, "k1")
      assert.notInclude(JSON.stringify(state), "sk-facade-secret")
    } finally {
      await upstream.close()
    }
  })

  it("rejects bad input with InvalidRequestError naming the field, without calling a provider", async () => {
    const provider = MemoryProvider.make({ id: "primary" })
    const engine = createEngine(config("http://127.0.0.1:1/v1"), { providers: [provider] })
    const error = await engine.complete({ messages: [{ role: "user" }] }).catch((e: unknown) => e)
    assert.instanceOf(error, InvalidRequestError)
    assert.instanceOf(error, AmError)
    assert.strictEqual((error as AmError).code, "invalid_request")
    assert.strictEqual((error as AmError).field, "messages.0.content")
    assert.strictEqual(provider.calls.length, 0)
    await engine.close()
  })

  it("rejects with AllProvidersFailedError carrying the code and attempts", async () => {
    const provider = MemoryProvider.make({ id: "primary", script: [{ fail: { kind: "http", status: 401 } }] })
    const engine = createEngine(config("http://127.0.0.1:1/v1"), { providers: [provider] })
    const error = (await engine
      .complete({ messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as AmError
    assert.instanceOf(error, AllProvidersFailedError)
    assert.strictEqual(error.code, "all_providers_failed")
    assert.strictEqual(error.attempts[0]!.class, "auth_invalid")
    await engine.close()
  })

  it("an AbortSignal interrupts the request and the upstream call", async () => {
    const upstream = await startUpstream({ kind: "openai", script: [{ sequence: ["hang"] }] })
    try {
      const engine = createEngine(config(upstream.baseURL))
      const controller = new AbortController()
      const pending = engine.complete({ messages: [{ role: "user", content: "x" }] }, { signal: controller.signal })
      // Abort once the upstream has the request (real I/O, no timers).
      await new Promise<void>((resolve) => {
        const check = () => (upstream.requests.length > 0 ? resolve() : setImmediate(check))
        check()
      })
      controller.abort()
      const error = await pending.catch((e: unknown) => e)
      assert.instanceOf(error, InterruptedError)
      await engine.close()
    } finally {
      await upstream.close()
    }
  })

  it("an invalid config throws ConfigurationError with the path", () => {
    const raw = config("x") as any
    raw.routes.default[0].provider = "ghost"
    try {
      createEngine(raw)
      assert.fail("expected a ConfigurationError")
    } catch (e) {
      assert.instanceOf(e, ConfigurationError)
      assert.strictEqual((e as ConfigurationError).field, "routes.default.0.provider")
    }
  })

  it("the gateway's own sections are refused, not ignored: server and gatewayKeys name themselves", () => {
    for (const [field, value] of [
      ["server", { port: 4000 }],
      ["gatewayKeys", [{ id: "team", secret: "k", workspace: "w" }]]
    ] as const) {
      const raw = { ...(config("x") as object), [field]: value }
      try {
        createEngine(raw)
        assert.fail(`expected a ConfigurationError for ${field}`)
      } catch (e) {
        assert.instanceOf(e, ConfigurationError)
        assert.strictEqual((e as ConfigurationError).field, field)
        assert.include((e as Error).message, "gateway")
      }
    }
  })
})
