/**
 * `Engine.embed` over the official-SDK adapters against the fake upstreams, built from a config:
 * a failing OpenAI embeddings model fails over to Gemini's, an Anthropic candidate in the route
 * is skipped by capability (never called), a rate-limited key rotates, `dimensions` reaches the
 * upstream, and the config refuses at start a route that mixes dimensions (naming the route) or
 * an embeddings model without its dimensions (naming the field).
 */
import { Engine } from "@am/engine"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadConfig } from "../src/index.ts"
import { env, events, makeHarness, runDriven, topics } from "./support/Harness.ts"

/** The harness config plus embeddings models and an `embeddings` route across all three kinds. */
const withEmbeddings = (raw: any, openaiModel = { name: "text-embedding-3-large", dimensions: 3072 }) => ({
  ...raw,
  providers: {
    ...raw.providers,
    primary: {
      ...raw.providers.primary,
      models: [...raw.providers.primary.models, { ...openaiModel, capabilities: ["embeddings"] }]
    },
    tertiary: {
      ...raw.providers.tertiary,
      models: [
        ...raw.providers.tertiary.models,
        { name: "gemini-embedding-001", capabilities: ["embeddings"], dimensions: 3072 }
      ]
    }
  },
  routes: {
    ...raw.routes,
    embeddings: [
      { provider: "primary", models: [openaiModel.name] },
      { provider: "secondary", models: ["claude-sonnet-4-6"] },
      { provider: "tertiary", models: ["gemini-embedding-001"] }
    ]
  }
})

const OPENAI_MODELS = ["gpt-4o", "gpt-4o-mini", "text-embedding-3-large", "text-embedding-3-small"]

const calls = (attempts: ReadonlyArray<{ provider: string; model: string; outcome: string; class?: string }>) =>
  attempts.filter((a) => a.outcome !== "skipped").map((a) => `${a.provider}/${a.model}:${a.outcome}`)

describe("Engine.embed fails over like chat (official SDKs against the testkit)", () => {
  it.effect("primary 503 → Gemini answers; the Anthropic candidate is skipped by capability, never called", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ sequence: ["overloaded"], repeat: true }],
        openaiModels: OPENAI_MODELS,
        config: (raw) => withEmbeddings(raw)
      })
      yield* Effect.gen(function* () {
        const answer = yield* runDriven(
          (yield* Engine).embed({ route: "embeddings", input: ["first text", "second text"] })
        )
        assert.strictEqual(answer.resilience.provider, "tertiary")
        assert.strictEqual(answer.provider, "gemini")
        assert.strictEqual(answer.vectors.length, 2)
        assert.deepStrictEqual(
          answer.vectors.map((v) => v.length),
          [3072, 3072]
        )
        assert.isAbove(answer.usage.inputTokens, 0)
        // Provider-scoped: first call and its backoff retries on primary, then the next provider.
        const trail = calls(answer.resilience.attempts)
        assert.strictEqual(trail[trail.length - 1], "tertiary/gemini-embedding-001:success")
        assert.isTrue(trail.slice(0, -1).every((c) => c === "primary/text-embedding-3-large:failure"))
        assert.strictEqual(h.anthropic.requests.length, 0)
        const log = yield* events
        assert.isTrue(
          log.some((e) => e.topic === "provider.skipped" && e.provider === "secondary" && e.reason === "capability")
        )
        assert.include(topics(log), "provider.failover")
        assert.deepStrictEqual(
          h.gemini.requests.map((r) => r.path),
          ["/v1beta/models/gemini-embedding-001:batchEmbedContents"]
        )
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("a rate-limited key rotates to the next key of the same model; dimensions reaches the upstream", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({
        openaiScript: [{ match: { key: "sk-test-primary-key-one-0000000000" }, sequence: ["rate_limit"] }],
        openaiModels: OPENAI_MODELS,
        config: (raw) => withEmbeddings(raw)
      })
      yield* Effect.gen(function* () {
        const answer = yield* runDriven((yield* Engine).embed({ route: "embeddings", input: ["x"], dimensions: 256 }))
        assert.strictEqual(answer.resilience.provider, "primary")
        assert.strictEqual(answer.vectors[0]!.length, 256)
        assert.deepStrictEqual(
          answer.resilience.attempts.map((a) => `${a.keyId}:${a.outcome}`),
          ["k1:failure", "k2:success"]
        )
        assert.include(topics(yield* events), "api.key.rotation")
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("a route without an embeddings model is no_route, naming each candidate's gap and the config field", () =>
    Effect.gen(function* () {
      const h = yield* makeHarness({ config: (raw) => withEmbeddings(raw) })
      yield* Effect.gen(function* () {
        const error = yield* Effect.flip((yield* Engine).embed({ input: ["x"] }))
        assert.strictEqual(error.code, "no_route")
        // The router names each candidate's gap and the config field that would close it.
        assert.include(error.message, 'secondary/claude-sonnet-4-6 lacks "embeddings"')
        assert.include(error.message, "providers.secondary.kind")
        assert.include(error.message, 'primary/gpt-4o lacks "embeddings"')
        assert.include(error.message, 'providers.primary.models[name="gpt-4o"].capabilities')
        assert.strictEqual(h.openai.requests.length + h.gemini.requests.length, 0)
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )

  it.effect("a vector of the wrong size is a failure that fails over, never an answer", () =>
    Effect.gen(function* () {
      // Declared 1536 for a model the upstream answers at 3072: the check catches it.
      const h = yield* makeHarness({
        openaiModels: OPENAI_MODELS,
        config: (raw) => {
          const config = withEmbeddings(raw)
          config.providers.tertiary.models[1].dimensions = 3072
          config.providers.primary.models[2].dimensions = 3072
          config.providers.primary.models[2].name = "text-embedding-3-small"
          config.routes.embeddings[0].models = ["text-embedding-3-small"]
          return config
        }
      })
      yield* Effect.gen(function* () {
        const answer = yield* runDriven((yield* Engine).embed({ route: "embeddings", input: ["x"] }))
        assert.strictEqual(answer.resilience.provider, "tertiary")
        const first = answer.resilience.attempts[0]!
        assert.strictEqual(first.errorType, "decode_error")
        assert.include(first.message ?? "", "has 1536 dimensions, expected 3072")
      }).pipe(Effect.provide(h.layer))
    }).pipe(Effect.scoped)
  )
})

describe("the config's embeddings rules fail at start", () => {
  const bare = {
    providers: {
      primary: { kind: "openai", keys: [{ id: "k1", secret: "env:T_K1" }], models: [] },
      secondary: { kind: "anthropic", keys: [], models: [{ name: "claude-sonnet-4-6" }] },
      tertiary: { kind: "gemini", keys: [], models: [] }
    },
    routes: {}
  }
  const raw = withEmbeddings(bare)

  it.effect("a route mixing 1536- and 3072-dimension models names the route", () =>
    Effect.gen(function* () {
      const mixed = withEmbeddings(bare, { name: "text-embedding-3-small", dimensions: 1536 })
      const error = yield* Effect.flip(loadConfig(mixed, { env }))
      assert.strictEqual(error.path, "routes.embeddings.2.models.0")
      assert.include(error.message, 'route "embeddings" mixes embedding dimensions')
      assert.include(error.message, "primary/text-embedding-3-small has 1536")
    })
  )

  it.effect("an embeddings model without dimensions, or dimensions without the capability, names the field", () =>
    Effect.gen(function* () {
      const base = { ...raw, routes: { default: [{ provider: "secondary", models: ["claude-sonnet-4-6"] }] } }
      const without = yield* Effect.flip(
        loadConfig(
          {
            ...base,
            providers: {
              ...base.providers,
              tertiary: { kind: "gemini", keys: [], models: [{ name: "e", capabilities: ["embeddings"] }] }
            }
          },
          { env }
        )
      )
      assert.strictEqual(without.path, "providers.tertiary.models.0.dimensions")
      const stray = yield* Effect.flip(
        loadConfig(
          {
            ...base,
            providers: {
              ...base.providers,
              // Capabilities declared without embeddings (undeclared ones come from the catalogue).
              tertiary: { kind: "gemini", keys: [], models: [{ name: "g", capabilities: ["tools"], dimensions: 8 }] }
            }
          },
          { env }
        )
      )
      assert.strictEqual(stray.path, "providers.tertiary.models.0.dimensions")
      assert.include(stray.message, "only for a model with the")
    })
  )

  it.effect("the same dimensions across providers load", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(raw, { env })
      const model = config.providers.get("tertiary")!.models.get("gemini-embedding-001")!
      assert.strictEqual(model.dimensions, 3072)
      assert.isTrue(model.capabilities?.has("embeddings"))
    })
  )
})
