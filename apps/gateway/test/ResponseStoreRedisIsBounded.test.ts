/**
 * The shared Responses store on this machine's Redis, directly: at most `maxEntries` responses
 * and `maxBytes` of JSON (the oldest go first), an output item found through its response, and
 * a Redis that cannot answer never failing a request — the response is then kept in this
 * process and read back from it.
 */
import { connection, uniquePrefix } from "@am/testkit/redis"
import { it as effect } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import type { StoredResponse } from "../src/internal/responses/ResponseStore.ts"
import { makeRedis, responseIdOfItem } from "../src/internal/responses/ResponseStoreRedis.ts"

const stored = (id: string, workspaceId = "team-a", text = "hi"): StoredResponse => ({
  id: `resp_${id}`,
  workspaceId,
  previousResponseId: undefined,
  input: [{ type: "message", role: "user", content: text }],
  output: [{ id: `msg_${id}`, type: "message", content: [{ type: "output_text", text }] } as { id: string }],
  response: { id: `resp_${id}`, object: "response" }
})

const onRedis = <A>(f: (prefix: string) => Effect.Effect<A, unknown, Redis.Redis>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const prefix = uniquePrefix()
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          const redis = yield* Redis.Redis
          const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
          if (keys.length > 0) yield* redis.send("DEL", ...keys)
        }).pipe(Effect.ignore)
      )
      return yield* f(prefix)
    }).pipe(Effect.provide(Layer.fresh(connection())))
  )

describe("the Redis Responses store", () => {
  effect.effect("keeps at most maxEntries and maxBytes, the oldest dropped first", () =>
    onRedis((prefix) =>
      Effect.gen(function* () {
        const redis = yield* Redis.Redis
        const store = makeRedis(redis, { prefix, maxEntries: 2 })
        for (const id of ["r1", "r2", "r3"]) {
          yield* store.put(stored(id))
          yield* TestClock.adjust("1 second")
        }
        expect(yield* store.get("team-a", "resp_r1")).toBeUndefined()
        expect((yield* store.get("team-a", "resp_r3"))?.input).toEqual(stored("r3").input)
        expect(yield* store.item("team-a", "msg_r2")).toEqual(stored("r2").output[0])
        expect(yield* store.get("team-b", "resp_r3")).toBeUndefined()

        const size = JSON.stringify(stored("b1")).length
        const small = makeRedis(redis, { prefix: `${prefix}small:`, maxBytes: size * 2 + 10 })
        for (const id of ["b1", "b2", "b3"]) {
          yield* small.put(stored(id))
          yield* TestClock.adjust("1 second")
        }
        expect(yield* redis.send<number>("ZCARD", `${prefix}small:responses:index`)).toBe(2)
        expect(Number(yield* redis.send<string>("GET", `${prefix}small:responses:total`))).toBeLessThanOrEqual(
          size * 2 + 10
        )
        expect(yield* small.get("team-a", "resp_b1")).toBeUndefined()
        expect(yield* small.remove("team-a", "resp_b3")).toBe(true)
        expect(yield* small.remove("team-a", "resp_b3")).toBe(false)
      })
    )
  )

  it("keeps the response in this process when Redis cannot answer", async () => {
    const down = () => Effect.fail(new Redis.RedisError({ cause: new Error("down") }))
    const broken = Redis.Redis.of({
      send: down,
      eval: () => down,
      subscribe: () => Effect.die("unused"),
      reserve: Effect.die("unused")
    })
    const store = makeRedis(broken, { prefix: "am:" })
    const found = await Effect.runPromise(
      Effect.andThen(
        store.put(stored("x1")),
        Effect.all([store.get("team-a", "resp_x1"), store.item("team-a", "msg_x1")])
      )
    )
    expect(found[0]?.id).toBe("resp_x1")
    expect(found[1]).toEqual(stored("x1").output[0])
  })

  it("finds an item's response from its id", () => {
    expect(responseIdOfItem("msg_abc")).toBe("resp_abc")
    expect(responseIdOfItem("fc_a_b_2")).toBe("resp_a_b")
    expect(responseIdOfItem("rs_abc_0")).toBe("resp_abc")
    expect(responseIdOfItem("other")).toBeUndefined()
  })
})
