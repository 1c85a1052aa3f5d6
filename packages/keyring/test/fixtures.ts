import { ApiKey, type Classification, EventBus, EventLog, type FailureClass, type ResilienceEvent } from "@am/core"
import { Effect, Layer, Redacted } from "effect"
import type { RedisError } from "effect/persistence/Redis"
import { type KeyOutcome, Keyring, type KeyringConfig } from "../src/index.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"

/** The secret of key `k<i>`: distinctive, so a leak is easy to find in any JSON. */
export const secretOf = (i: number) => `sk-test-keyring-SECRET-${i}-0123456789`

export const makeKeys = (n: number, weights: ReadonlyArray<number> = []) =>
  Array.from({ length: n }, (_, i) => {
    const key = ApiKey.make(`k${i + 1}`, Redacted.make(secretOf(i + 1)))
    const weight = weights[i]
    return weight === undefined ? key : { ...key, weight }
  })

/** The keyring plus the recording event bus (EventBus + EventLog). */
const memoryLayer = (config: KeyringConfig) =>
  Keyring.layerMemory(config).pipe(Layer.provideMerge(EventBus.layerMemory))

/**
 * The same over Redis: a fresh key prefix (and connection) each time the layer is built, so
 * every test starts from empty pools; its keys are deleted when the test ends.
 */
export const redisLayer = (config: KeyringConfig, prefix?: string) =>
  Layer.unwrap(
    Effect.sync(() => {
      const at = prefix ?? uniquePrefix()
      return Keyring.layerRedis(config, { prefix: at }).pipe(
        Layer.provideMerge(EventBus.layerMemory),
        Layer.provide(connection()),
        Layer.provideMerge(Layer.effectDiscard(cleanupAfter(at)))
      )
    })
  )

/**
 * The layers every behaviour is proved on: the same suite runs against the memory keyring and
 * the Redis one (skipped with AM_TEST_SKIP_REDIS=1).
 */
export const backends: ReadonlyArray<{
  readonly name: string
  readonly testLayer: (config: KeyringConfig) => Layer.Layer<Keyring | EventBus | EventLog, RedisError>
}> = [
  { name: "memory", testLayer: memoryLayer },
  ...(skipRedis ? [] : [{ name: "redis", testLayer: (config: KeyringConfig) => redisLayer(config) }])
]

export const classification = (cls: FailureClass, extra: Partial<Classification> = {}): Classification => ({
  class: cls,
  scope: "key",
  retryable: true,
  errorType: cls,
  rule: `test.${cls}`,
  ...extra
})

export const failure = (cls: FailureClass, extra: Partial<Classification> = {}): KeyOutcome => ({
  _tag: "Failure",
  classification: classification(cls, extra)
})

export const success: KeyOutcome = { _tag: "Success" }

/** Leases `n` times in a row and returns the key ids. */
export const leaseIds = (provider: string, model: string, n: number) =>
  Keyring.use((keyring) =>
    Effect.forEach(Array.from({ length: n }), () => Effect.map(keyring.lease(provider, model), (k) => k.id))
  )

export const events = EventLog.use((log) => log.all)

export const eventsOf = <T extends ResilienceEvent["topic"]>(topic: T) =>
  Effect.map(events, (all) => all.filter((e): e is Extract<ResilienceEvent, { topic: T }> => e.topic === topic))

export const snapshotOf = (id: string) =>
  Keyring.use((k) => k.snapshot).pipe(Effect.map((all) => all.find((s) => s.id === id)!))
