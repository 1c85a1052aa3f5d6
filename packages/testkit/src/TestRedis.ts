/**
 * The Redis on this machine for tests of the Redis layers (127.0.0.1:6379, or
 * `AM_TEST_REDIS_URL`). Redis is part of the suite: an unreachable server fails the tests rather
 * than skipping them silently; `AM_TEST_SKIP_REDIS=1` opts out explicitly. Every test gets a key
 * prefix of its own, deleted when it ends. Imported as `@am/testkit/redis`, so the rest of the
 * testkit doesn't load a Redis client.
 *
 * @example
 * ```ts
 * import { checkRedis, cleanupAfter, connection, uniquePrefix } from "@am/testkit/redis"
 * await checkRedis("@am/keyring tests")
 * ```
 * @since 0.1.0
 */
import { NodeRedis } from "@effect/platform-node"
import { Clock, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { reachable } from "./Reachable.ts"

export const redisUrl = process.env.AM_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

export const skipRedis = process.env.AM_TEST_SKIP_REDIS === "1"

/** Warns once, up front, when the Redis cases are skipped or will fail for want of a server. */
export const checkRedis = async (suite: string): Promise<void> => {
  if (skipRedis) console.warn(`${suite}: AM_TEST_SKIP_REDIS=1, Redis cases skipped`)
  else if (!(await reachable(redisUrl, 6379))) console.warn(`${suite}: no Redis at ${redisUrl}; Redis cases will fail`)
}

export const uniquePrefix = () => `am:test-${Math.random().toString(36).slice(2, 10)}:`

/**
 * A connection of its own, as one replica has. Built on the live clock: the client's idle-pool
 * timer must not sleep on a test's TestClock (it would only warn that time is not advancing).
 */
export const connection = () =>
  NodeRedis.layer({ url: redisUrl }).pipe(Layer.provide(Layer.succeed(Clock.Clock, Clock.Clock.defaultValue())))

/** Deletes every key under `prefix` when the test's scope closes. */
export const cleanupAfter = (prefix: string) =>
  Effect.addFinalizer(() =>
    Effect.gen(function* () {
      const redis = yield* Redis.Redis
      const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
      if (keys.length > 0) yield* redis.send("DEL", ...keys)
    }).pipe(Effect.provide(Layer.fresh(connection())), Effect.ignore)
  )
