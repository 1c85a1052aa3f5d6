import { ApiKey } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { call, harness, keyA, keyB, SECRET_A, SECRET_B } from "./support.ts"

describe("SDK clients", () => {
  it.effect("creates one client per key on first use and reuses it for every later call", () =>
    Effect.gen(function* () {
      const h = yield* harness({})
      assert.strictEqual(h.clientsCreated(), 0, "no client before the first call")
      yield* h.provider.complete(call({ key: keyA }))
      yield* h.provider.complete(call({ key: keyA }))
      yield* Stream.runDrain(h.provider.stream(call({ key: keyA })))
      assert.strictEqual(h.clientsCreated(), 1)
      yield* h.provider.complete(call({ key: keyB }))
      yield* Effect.all([h.provider.complete(call({ key: keyA })), h.provider.complete(call({ key: keyB }))], {
        concurrency: 2
      })
      assert.strictEqual(h.clientsCreated(), 2)
      assert.strictEqual(h.upstream.requests.length, 6)
      assert.deepStrictEqual(
        h.upstream.requests.slice(0, 4).map((r) => r.key),
        [SECRET_A, SECRET_A, SECRET_A, SECRET_B]
      )
    }).pipe(Effect.scoped)
  )

  it.effect("replaces the client when a key id comes back with a different secret", () =>
    Effect.gen(function* () {
      const h = yield* harness({})
      yield* h.provider.complete(call({ key: keyA }))
      const rotated = ApiKey.make(keyA.id, Redacted.make(SECRET_B))
      yield* h.provider.complete(call({ key: rotated }))
      yield* h.provider.complete(call({ key: rotated }))
      assert.strictEqual(h.clientsCreated(), 2)
      assert.deepStrictEqual(
        h.upstream.requests.map((r) => r.key),
        [SECRET_A, SECRET_B, SECRET_B]
      )
    }).pipe(Effect.scoped)
  )
})
