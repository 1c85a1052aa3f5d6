/**
 * The retry budget shared by all requests: gRPC-style retry throttling (`grpc/proposal` A6)
 * per provider. Each provider has a bucket of `maxTokens` tokens; a retryable failure takes one,
 * a success gives back `tokenRatio`. While a provider's bucket is at or below half, no attempt
 * that is not a request's first goes to it — so under a full outage total attempts stay within
 * about (1 + tokenRatio) × requests + maxTokens / 2 per provider.
 *
 * Effect has no retry-throttling primitive (its RateLimiter limits rate, not the ratio of
 * retries to successes), hence this small service. `layerMemory` keeps the buckets in the
 * process; `layerRedis` shares them between gateway replicas.
 *
 * @example
 * ```ts
 * import { RetryBudget } from "@am/engine"
 * const layer = RetryBudget.layerMemory({ maxTokens: 10, tokenRatio: 0.1 })
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import { Context, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { withFallback } from "./internal/Shared.ts"

export interface RetryBudgetShape {
  /** Whether a retry (any attempt after a request's first) may go to `provider` now. */
  readonly canRetry: (provider: string) => Effect.Effect<boolean>
  readonly recordFailure: (provider: string) => Effect.Effect<void>
  readonly recordSuccess: (provider: string) => Effect.Effect<void>
  readonly tokens: (provider: string) => Effect.Effect<number>
}

export interface RetryBudgetOptions {
  readonly maxTokens: number
  readonly tokenRatio: number
}

// The buckets of one process. Each operation is one synchronous read-modify-write of the map,
// so it is atomic under concurrency without a Ref (and allocates nothing on the hot success
// path). Plain functions: the memory layer traces them, the Redis layer falls back on them.
const makeBuckets = (options: RetryBudgetOptions) => {
  const tokens = new Map<string, number>()
  const get = (p: string) => tokens.get(p) ?? options.maxTokens
  const set = (p: string, n: number) => {
    tokens.set(p, Math.min(options.maxTokens, Math.max(0, n)))
  }
  return {
    canRetry: (provider: string) => get(provider) > options.maxTokens / 2,
    recordFailure: (provider: string) => set(provider, get(provider) - 1),
    recordSuccess: (provider: string) => {
      const n = get(provider)
      if (n < options.maxTokens) set(provider, n + options.tokenRatio)
    },
    tokens: get
  }
}

const makeMemory = (options: RetryBudgetOptions): RetryBudgetShape => {
  const buckets = makeBuckets(options)
  return {
    // Untraced on purpose: these run on every request's path, where Effect.fn's span and call-site
    // capture cost ~5–9 µs a call (./am bench engine); the engine's request and attempt spans cover them.
    canRetry: (provider) => Effect.sync(() => buckets.canRetry(provider)),
    recordFailure: (provider) => Effect.sync(() => buckets.recordFailure(provider)),
    recordSuccess: (provider) => Effect.sync(() => buckets.recordSuccess(provider)),
    tokens: Tracing.fn("RetryBudget.tokens")(function* (provider: string) {
      return yield* Effect.sync(() => buckets.tokens(provider))
    })
  }
}

// Adds ARGV[2] tokens (negative: takes) to the bucket, clamped to [0, max]; a success (positive)
// on a full bucket does nothing. A full bucket is no key at all, so an idle provider leaves
// nothing behind. Returns the new count as a string: Redis would truncate a Lua number.
const adjustScript = Redis.script((key: string, maxTokens: number, delta: number) => [key, maxTokens, delta], {
  numberOfKeys: 1,
  lua: `
local max = tonumber(ARGV[1])
local delta = tonumber(ARGV[2])
local n = tonumber(redis.call("GET", KEYS[1])) or max
if delta > 0 and n >= max then
  return string.format("%.17g", n)
end
n = math.min(max, math.max(0, n + delta))
if n >= max then
  redis.call("DEL", KEYS[1])
else
  redis.call("SET", KEYS[1], string.format("%.17g", n))
end
return string.format("%.17g", n)
`
}).withReturnType<string>()

const makeRedis = Effect.fnUntraced(function* (options: RetryBudgetOptions, prefix: string) {
  const redis = yield* Redis.Redis
  const adjust = redis.eval(adjustScript)
  const local = makeBuckets(options)
  const shared = withFallback("the retry budget")
  const key = (provider: string) => `${prefix}budget:${provider}`
  const readTokens = (provider: string) =>
    shared(
      Effect.map(redis.send<string | null>("GET", key(provider)), (n) => (n === null ? options.maxTokens : Number(n))),
      Effect.sync(() => local.tokens(provider))
    )
  return RetryBudget.of({
    canRetry: Tracing.fn("RetryBudget.canRetry")(function* (provider: string) {
      return (yield* readTokens(provider)) > options.maxTokens / 2
    }),
    recordFailure: Tracing.fn("RetryBudget.recordFailure")(function* (provider: string) {
      yield* shared(
        Effect.asVoid(adjust(key(provider), options.maxTokens, -1)),
        Effect.sync(() => local.recordFailure(provider))
      )
    }),
    recordSuccess: Tracing.fn("RetryBudget.recordSuccess")(function* (provider: string) {
      yield* shared(
        Effect.asVoid(adjust(key(provider), options.maxTokens, options.tokenRatio)),
        Effect.sync(() => local.recordSuccess(provider))
      )
    }),
    tokens: Tracing.fn("RetryBudget.tokens")(function* (provider: string) {
      return yield* readTokens(provider)
    })
  })
})

export class RetryBudget extends Context.Service<RetryBudget, RetryBudgetShape>()("@am/engine/RetryBudget") {
  static readonly layerMemory = (options: RetryBudgetOptions) => Layer.sync(RetryBudget, () => makeMemory(options))

  /**
   * One bucket per provider shared by every replica with the same `prefix` (default `"am:"`),
   * in Redis at `<prefix>budget:<provider>`. Each failure and success is one atomic Lua update,
   * so N failures anywhere take exactly N tokens. Every operation is a round trip. If Redis
   * fails, this process counts on its own bucket until Redis answers (one warning).
   *
   * @example
   * ```ts
   * import { NodeRedis } from "@effect/platform-node"
   * import { RetryBudget } from "@am/engine"
   * import { Layer } from "effect"
   * const layer = RetryBudget.layerRedis({ maxTokens: 10, tokenRatio: 0.1 }, { prefix: "am:" }).pipe(
   *   Layer.provide(NodeRedis.layer({ url: "redis://127.0.0.1:6379" }))
   * )
   * ```
   */
  static readonly layerRedis = (
    options: RetryBudgetOptions,
    redisOptions?: { readonly prefix?: string }
  ): Layer.Layer<RetryBudget, never, Redis.Redis> =>
    Layer.effect(RetryBudget, makeRedis(options, redisOptions?.prefix ?? "am:"))

  /** No throttling (tests that isolate other behaviour). */
  static readonly layerUnlimited = Layer.succeed(RetryBudget, {
    canRetry: () => Effect.succeed(true),
    recordFailure: () => Effect.void,
    recordSuccess: () => Effect.void,
    tokens: () => Effect.succeed(Number.POSITIVE_INFINITY)
  })
}
