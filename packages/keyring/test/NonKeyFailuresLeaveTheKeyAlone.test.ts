import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Keyring } from "../src/index.ts"
import { events, failure, makeKeys, snapshotOf, backends } from "./fixtures.ts"

describe.each(backends)("failures that are not the key's fault are no-ops ($name)", ({ testLayer }) => {
  it.effect("model, provider, request and content scoped failures don't penalise, count or cool the key", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("model_not_found", { scope: "model" }))
      yield* keyring.report("p", "m", "k1", failure("overloaded", { scope: "provider", retryAfterMs: 60_000 }))
      yield* keyring.report("p", "m", "k1", failure("invalid_request", { scope: "request" }))
      yield* keyring.report("p", "m", "k1", failure("content_policy", { scope: "content" }))
      const snap = yield* snapshotOf("k1")
      assert.deepInclude(snap, { status: "healthy", penalty: 0, failures: 0 })
      assert.strictEqual((yield* keyring.lease("p", "m")).id, "k1")
      assert.lengthOf(yield* events, 0)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )

  it.effect("reports for unknown providers or keys are ignored", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("nope", "m", "k1", failure("auth_invalid"))
      yield* keyring.report("p", "m", "nope", failure("auth_invalid"))
      yield* keyring.enable("nope", "k1")
      yield* keyring.disable("p", "nope", "x")
      assert.strictEqual((yield* snapshotOf("k1")).status, "healthy")
      assert.lengthOf(yield* events, 0)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(1) } } })))
  )
})
