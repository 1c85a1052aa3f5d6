import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadConfig } from "../src/index.ts"

const raw = (extra: object = {}) => ({
  providers: {
    primary: { kind: "openai", keys: [{ id: "k1", secret: "sk-config-0000000" }], models: [{ name: "gpt-4o" }] }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  ...extra
})

describe("the stream section of the config", () => {
  it.effect("defaults to 15 s for the first token, 30 s between chunks and 10 minutes for a committed stream", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(raw(), { env: {} })
      assert.deepStrictEqual(config.stream, {
        firstTokenTimeoutMs: 15_000,
        stallTimeoutMs: 30_000,
        maxDurationMs: 600_000
      })
    })
  )

  it.effect("reads duration strings or milliseconds, and the environment wins", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(
        raw({ stream: { firstTokenTimeout: "4 seconds", stallTimeout: 2500, maxDuration: "3 minutes" } }),
        { env: {} }
      )
      assert.deepStrictEqual(config.stream, {
        firstTokenTimeoutMs: 4_000,
        stallTimeoutMs: 2_500,
        maxDurationMs: 180_000
      })
      const overridden = yield* loadConfig(raw(), {
        env: {
          AM__STREAM__FIRST_TOKEN_TIMEOUT: "7 seconds",
          AM__STREAM__STALL_TIMEOUT: "1500",
          AM__STREAM__MAX_DURATION: "20 minutes"
        }
      })
      assert.deepStrictEqual(overridden.stream, {
        firstTokenTimeoutMs: 7_000,
        stallTimeoutMs: 1_500,
        maxDurationMs: 1_200_000
      })
    })
  )

  it.effect("fails closed with the path of a bad timeout", () =>
    Effect.gen(function* () {
      const zero = yield* Effect.flip(loadConfig(raw({ stream: { stallTimeout: 0 } }), { env: {} }))
      assert.strictEqual(zero.path, "stream.stallTimeout")
      const text = yield* Effect.flip(loadConfig(raw({ stream: { firstTokenTimeout: "soon" } }), { env: {} }))
      assert.strictEqual(text.path, "stream.firstTokenTimeout")
      const never = yield* Effect.flip(loadConfig(raw({ stream: { maxDuration: -1 } }), { env: {} }))
      assert.strictEqual(never.path, "stream.maxDuration")
    })
  )
})
