import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { applyEnvOverrides, loadConfig } from "../src/index.ts"

const valid = () => ({
  providers: {
    primary: {
      kind: "openai",
      keys: [
        { id: "k1", secret: "env:OPENAI_KEY_1" },
        { id: "k2", secret: "sk-literal-key-2" }
      ],
      models: [{ name: "gpt-4o", contextWindow: 128000 }]
    },
    local: {
      kind: "openai-compatible",
      baseURL: "http://127.0.0.1:11434/v1",
      keys: [{ id: "o", secret: "ollama" }],
      models: []
    }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { base: "200 millis", max: "8 seconds", maxAttempts: 4 }
})

const pathOf = (raw: unknown, env: Record<string, string> = { OPENAI_KEY_1: "sk-env-1" }) =>
  Effect.map(Effect.flip(loadConfig(raw, { env })), (e) => e.path)

describe("config validation fails closed with the path of the bad field", () => {
  it.effect("a valid config resolves durations, secrets (Redacted) and defaults", () =>
    Effect.gen(function* () {
      const c = yield* loadConfig(valid(), { env: { OPENAI_KEY_1: "sk-env-1" } })
      const p = c.providers.get("primary")!
      assert.strictEqual(Redacted.value(p.keys[0]!.secret), "sk-env-1")
      assert.strictEqual(Redacted.value(p.keys[1]!.secret), "sk-literal-key-2")
      assert.notInclude(JSON.stringify(p.keys), "sk-env-1")
      assert.strictEqual(c.retry.baseMs, 200)
      assert.strictEqual(c.retry.maxMs, 8000)
      assert.strictEqual(c.retry.maxAttempts, 4)
      assert.strictEqual(c.state.store, "memory")
    })
  )
  it.effect("openai-compatible without baseURL → providers.<id>.baseURL", () =>
    Effect.gen(function* () {
      const raw = valid() as any
      delete raw.providers.local.baseURL
      assert.strictEqual(yield* pathOf(raw), "providers.local.baseURL")
    })
  )
  it.effect("a route naming an unknown provider → routes.<name>.<i>.provider", () =>
    Effect.gen(function* () {
      const raw = valid() as any
      raw.routes.default.push({ provider: "nope", models: ["x"] })
      assert.strictEqual(yield* pathOf(raw), "routes.default.1.provider")
    })
  )
  it.effect("a duplicate key id → providers.<id>.keys.<i>.id", () =>
    Effect.gen(function* () {
      const raw = valid() as any
      raw.providers.primary.keys[1].id = "k1"
      assert.strictEqual(yield* pathOf(raw), "providers.primary.keys.1.id")
    })
  )
  it.effect("an unset env: secret names the secret's path", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* pathOf(valid(), {}), "providers.primary.keys.0.secret")
    })
  )
  it.effect("a malformed field names its path", () =>
    Effect.gen(function* () {
      const raw = valid() as any
      raw.providers.primary.kind = "azure"
      assert.strictEqual(yield* pathOf(raw), "providers.primary.kind")
      const raw2 = valid() as any
      raw2.retry.base = "soon"
      assert.strictEqual(yield* pathOf(raw2), "retry.base")
    })
  )
  it.effect("a store whose backend is not built yet fails at start, never silently", () =>
    Effect.gen(function* () {
      const raw = { ...valid(), ledger: { store: "mysql://localhost/test" } }
      const e = yield* Effect.flip(loadConfig(raw, { env: { OPENAI_KEY_1: "x" } }))
      assert.strictEqual(e.path, "ledger.store")
      assert.include(e.message, "not supported")
      const ok = yield* loadConfig(
        { ...valid(), ledger: { store: "sqlite:./data/am.db" } },
        { env: { OPENAI_KEY_1: "x" } }
      )
      assert.strictEqual(ok.ledger.store, "sqlite:./data/am.db")
    })
  )
  it.effect("state.store is memory or a redis://host:port[/db] URL; prefix defaults to am:", () =>
    Effect.gen(function* () {
      const env = { env: { OPENAI_KEY_1: "x" } }
      const memory = yield* loadConfig(valid(), env)
      assert.deepStrictEqual(memory.state, { store: "memory", prefix: "am:" })
      const redis = yield* loadConfig(
        { ...valid(), state: { store: "redis://10.0.0.5:6380/2", prefix: "am:eu:" } },
        env
      )
      assert.deepStrictEqual(redis.state, { store: "redis://10.0.0.5:6380/2", prefix: "am:eu:" })
      assert.strictEqual(
        (yield* loadConfig({ ...valid(), state: { store: "rediss://cache.internal" } }, env)).state.prefix,
        "am:"
      )
      for (const bad of [
        "mysql://localhost/test",
        "redis://",
        "redis://h:6379/cache",
        "redis://h:6379/1?x=y",
        "somewhere"
      ]) {
        const e = yield* Effect.flip(loadConfig({ ...valid(), state: { store: bad } }, env))
        assert.strictEqual(e.path, "state.store", bad)
      }
      const e = yield* Effect.flip(loadConfig({ ...valid(), state: { store: "redis://h:6379/cache" } }, env))
      assert.include(e.message, "database must be a number")
      assert.strictEqual(yield* pathOf({ ...valid(), state: { store: "memory", prefix: "" } }), "state.prefix")
    })
  )
  it.effect("environment overrides win over the file", () =>
    Effect.gen(function* () {
      const c = yield* loadConfig(valid(), {
        env: {
          OPENAI_KEY_1: "x",
          AM__RETRY__MAX_ATTEMPTS: "7",
          AM__PROVIDERS__PRIMARY__BASE_URL: "http://10.0.0.1/v1",
          AM__SERVER__PORT: "8080"
        }
      })
      assert.strictEqual(c.retry.maxAttempts, 7)
      assert.strictEqual(c.providers.get("primary")!.baseURL, "http://10.0.0.1/v1")
      assert.strictEqual(c.server.port, 8080)
    })
  )
  it("applyEnvOverrides leaves the input untouched", () => {
    const raw = valid()
    const before = JSON.stringify(raw)
    applyEnvOverrides(raw, { AM__RETRY__MAX_ATTEMPTS: "2" })
    assert.strictEqual(JSON.stringify(raw), before)
  })
})
