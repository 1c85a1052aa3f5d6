/**
 * The retry budget shared by all requests: gRPC-style retry throttling (`grpc/proposal` A6)
 * per provider. Each provider has a bucket of `maxTokens` tokens; a retryable failure takes one,
 * a success gives back `tokenRatio`. While a provider's bucket is at or below half, no attempt
 * that is not a request's first goes to it — so under a full outage total attempts stay within
 * about (1 + tokenRatio) × requests + maxTokens / 2 per provider.
 *
 * Effect has no retry-throttling primitive (its RateLimiter limits rate, not the ratio of
 * retries to successes), hence this small service.
 *
 * @example
 * ```ts
 * import { RetryBudget } from "@am/engine"
 * const layer = RetryBudget.layerMemory({ maxTokens: 10, tokenRatio: 0.1 })
 * ```
 * @since 0.1.0
 */
import { Context, Effect, Layer, SynchronizedRef } from "effect"

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

export class RetryBudget extends Context.Service<RetryBudget, RetryBudgetShape>()("@am/engine/RetryBudget") {
  static readonly layerMemory = (options: RetryBudgetOptions) =>
    Layer.effect(
      RetryBudget,
      Effect.map(SynchronizedRef.make(new Map<string, number>()), (ref) => {
        const get = (m: ReadonlyMap<string, number>, p: string) => m.get(p) ?? options.maxTokens
        const update = (provider: string, f: (n: number) => number) =>
          SynchronizedRef.update(ref, (m) =>
            new Map(m).set(provider, Math.min(options.maxTokens, Math.max(0, f(get(m, provider)))))
          )
        return RetryBudget.of({
          canRetry: (provider) => Effect.map(SynchronizedRef.get(ref), (m) => get(m, provider) > options.maxTokens / 2),
          recordFailure: (provider) => update(provider, (n) => n - 1),
          recordSuccess: (provider) => update(provider, (n) => n + options.tokenRatio),
          tokens: (provider) => Effect.map(SynchronizedRef.get(ref), (m) => get(m, provider))
        })
      })
    )
  /** No throttling (tests that isolate other behaviour). */
  static readonly layerUnlimited = Layer.succeed(RetryBudget, {
    canRetry: () => Effect.succeed(true),
    recordFailure: () => Effect.void,
    recordSuccess: () => Effect.void,
    tokens: () => Effect.succeed(Number.POSITIVE_INFINITY)
  })
}
