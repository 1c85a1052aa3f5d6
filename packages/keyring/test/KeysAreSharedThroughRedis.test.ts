// Two replicas: two `Keyring.layerRedis` instances, each with its own Redis connection and event
// bus, over one key prefix (as two gateway processes would run). Time is the TestClock both
// replicas read: cool-downs are epoch ms computed from the Clock, Redis only stores them.
import { EventBus, EventLog } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { TestClock } from "effect/testing"
import { Keyring, type KeyringConfig, NoHealthyKey } from "../src/index.ts"
import { failure, makeKeys, redisLayer, secretOf, success } from "./fixtures.ts"
import { connection, skipRedis, uniquePrefix } from "./redis.ts"

const replicas = (config: KeyringConfig) =>
  Effect.gen(function* () {
    const prefix = uniquePrefix()
    const replica = Effect.gen(function* () {
      const context = yield* Layer.build(redisLayer(config, prefix))
      return {
        keyring: Context.get(context, Keyring),
        topics: Effect.map(Context.get(context, EventLog).all, (all) => all.map((e) => e.topic))
      }
    })
    return { prefix, a: yield* replica, b: yield* replica }
  })

const statusOf = (keyring: Keyring["Service"], id: string) =>
  Effect.map(keyring.snapshot, (all) => all.find((s) => s.id === id)!)

describe.skipIf(skipRedis)("key pools are shared between replicas through Redis", () => {
  it.effect("a key disabled by an auth failure through one replica is never leased by the other", () =>
    Effect.gen(function* () {
      const { a, b } = yield* replicas({ pools: { p: { keys: makeKeys(2) } } })
      yield* a.keyring.report("p", "m", "k1", failure("auth_invalid"))

      const leased = yield* Effect.forEach([1, 2, 3, 4], () => Effect.map(b.keyring.lease("p", "m"), (k) => k.id))
      assert.deepStrictEqual(leased, ["k2", "k2", "k2", "k2"])
      const k1 = yield* statusOf(b.keyring, "k1")
      assert.strictEqual(k1.status, "disabled")
      assert.strictEqual(k1.disabledReason, "auth_invalid (test.auth_invalid)")
      // The replica that saw the failure announced it; the other only reads the shared state.
      assert.include(yield* a.topics, "resource.disabled")
      assert.notInclude(yield* b.topics, "resource.disabled")

      // Enabled through B, the key serves A again.
      yield* b.keyring.enable("p", "k1")
      const after = yield* Effect.forEach([1, 2], () => Effect.map(a.keyring.lease("p", "m"), (k) => k.id))
      assert.include(after, "k1")
    })
  )

  it.effect("an operator's disable through one replica holds in the other until enable()", () =>
    Effect.gen(function* () {
      const { a, b } = yield* replicas({ pools: { p: { keys: makeKeys(1) } } })
      yield* a.keyring.disable("p", "k1", "leaked")
      const error = yield* Effect.flip(b.keyring.lease("p", "m"))
      assert.instanceOf(error, NoHealthyKey)
      assert.isUndefined(error.availableAt)
      yield* TestClock.adjust("1 day")
      assert.instanceOf(yield* Effect.flip(b.keyring.lease("p", "m")), NoHealthyKey)
      yield* a.keyring.enable("p", "k1")
      assert.strictEqual((yield* b.keyring.lease("p", "m")).id, "k1")
    })
  )

  it.effect("a Retry-After cool-down set through one replica is respected by the other, for that model only", () =>
    Effect.gen(function* () {
      const { a, b } = yield* replicas({ pools: { p: { keys: makeKeys(1) } } })
      yield* TestClock.adjust(1_000)
      yield* a.keyring.report("p", "gpt-4o", "k1", failure("rate_limit", { retryAfterMs: 5_000 }))

      const blocked = yield* Effect.flip(b.keyring.lease("p", "gpt-4o"))
      assert.instanceOf(blocked, NoHealthyKey)
      assert.strictEqual(blocked.availableAt, 6_000)
      assert.strictEqual((yield* b.keyring.lease("p", "gpt-4o-mini")).id, "k1")
      assert.deepStrictEqual((yield* statusOf(b.keyring, "k1")).coolingModels, { "gpt-4o": 6_000 })

      yield* TestClock.adjust(4_999)
      assert.instanceOf(yield* Effect.flip(b.keyring.lease("p", "gpt-4o")), NoHealthyKey)
      yield* TestClock.adjust(1)
      assert.strictEqual((yield* b.keyring.lease("p", "gpt-4o")).id, "k1")
    })
  )

  it.effect("concurrent leases and reports through both replicas lose no update", () =>
    Effect.gen(function* () {
      const { a, b } = yield* replicas({
        pools: { p: { keys: makeKeys(4) } },
        policy: { transientPenalty: "0 millis" }
      })
      const N = 400
      // Each call leases, yields so others interleave, and reports; every third fails (penalised,
      // counted, never cooled). Half the calls go through each replica, all at once.
      const outcomes = yield* Effect.forEach(
        Array.from({ length: N }, (_, i) => i),
        (i) =>
          Effect.gen(function* () {
            const keyring = i % 2 === 0 ? a.keyring : b.keyring
            const key = yield* keyring.lease("p", "m")
            yield* Effect.yieldNow
            const failed = i % 3 === 0
            yield* keyring.report("p", "m", key.id, failed ? failure("server_error") : success)
            return { id: key.id, failed }
          }),
        { concurrency: "unbounded" }
      )
      const snapshot = yield* a.keyring.snapshot
      // The rotation cursor is shared too: round-robin spreads all leases evenly over the keys.
      assert.deepStrictEqual(
        snapshot.map((s) => s.leases),
        [N / 4, N / 4, N / 4, N / 4]
      )
      for (const s of snapshot) {
        assert.strictEqual(s.failures, outcomes.filter((o) => o.id === s.id && o.failed).length)
      }
      assert.strictEqual(
        snapshot.reduce((n, s) => n + s.failures, 0),
        Math.ceil(N / 3)
      )
      assert.deepStrictEqual(yield* b.keyring.snapshot, snapshot, "both replicas read the same state")
    })
  )

  it.effect("Redis holds key ids and state, never a secret", () =>
    Effect.gen(function* () {
      const { prefix, a, b } = yield* replicas({ pools: { p: { keys: makeKeys(3) } } })
      yield* a.keyring.lease("p", "m")
      yield* a.keyring.report("p", "m", "k1", failure("rate_limit", { retryAfterMs: 1_000 }))
      yield* b.keyring.report("p", "m", "k2", failure("auth_invalid"))
      yield* b.keyring.disable("p", "k3", "operator")

      const stored = yield* Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
        const values = yield* Effect.forEach(keys, (key) => redis.send<Array<string>>("HGETALL", key))
        return { keys, dump: JSON.stringify(values) }
      }).pipe(Effect.provide(connection()))
      assert.deepStrictEqual(stored.keys, [`${prefix}keyring:p`])
      for (const id of ["k1", "k2", "k3"]) assert.include(stored.dump, `"${id}\\"`)
      for (const i of [1, 2, 3]) assert.notInclude(stored.dump, secretOf(i))
      assert.notInclude(stored.dump, "sk-")
    })
  )

  it.effect("while Redis fails, a replica keeps serving from its own copy of the pool", () =>
    Effect.gen(function* () {
      // Effect's Redis service over a transport whose every command fails, as during an outage.
      const down = new Redis.RedisError({ cause: new Error("connection refused") })
      const unreachable = Layer.effect(
        Redis.Redis,
        Redis.make({
          send: () => Effect.fail(down),
          subscribe: () => Effect.fail(down),
          connect: Effect.fail(down)
        })
      )
      const keyring = yield* Effect.map(
        Layer.build(
          Keyring.layerRedis({ pools: { p: { keys: makeKeys(2) } } }).pipe(
            Layer.provide([unreachable, EventBus.layerNoop])
          )
        ),
        (context) => Context.get(context, Keyring)
      )
      const ids = yield* Effect.forEach([1, 2, 3], () => Effect.map(keyring.lease("p", "m"), (k) => k.id))
      assert.deepStrictEqual(ids, ["k1", "k2", "k1"])
      yield* keyring.report("p", "m", "k1", failure("auth_invalid"))
      const after = yield* Effect.forEach([1, 2], () => Effect.map(keyring.lease("p", "m"), (k) => k.id))
      assert.deepStrictEqual(after, ["k2", "k2"])
      assert.strictEqual((yield* statusOf(keyring, "k1")).status, "disabled")
    })
  )
})
