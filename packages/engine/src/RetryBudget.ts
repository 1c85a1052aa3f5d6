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
import { Context, Effect, Layer } from "effect"

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
    Layer.sync(RetryBudget, () => {
      // Each operation is one synchronous read-modify-write of this map, so it is atomic under
      // concurrency without a Ref (and allocates nothing on the hot success path).
      const tokens = new Map<string, number>()
      const get = (p: string) => tokens.get(p) ?? options.maxTokens
      const set = (p: string, n: number) => {
        tokens.set(p, Math.min(options.maxTokens, Math.max(0, n)))
      }
      return RetryBudget.of({
        canRetry: (provider) => Effect.sync(() => get(provider) > options.maxTokens / 2),
        recordFailure: (provider) => Effect.sync(() => set(provider, get(provider) - 1)),
        recordSuccess: (provider) =>
          Effect.sync(() => {
            const n = get(provider)
            if (n < options.maxTokens) set(provider, n + options.tokenRatio)
          }),
        tokens: (provider) => Effect.sync(() => get(provider))
      })
    })
  /** No throttling (tests that isolate other behaviour). */
  static readonly layerUnlimited = Layer.succeed(RetryBudget, {
    canRetry: () => Effect.succeed(true),
    recordFailure: () => Effect.void,
    recordSuccess: () => Effect.void,
    tokens: () => Effect.succeed(Number.POSITIVE_INFINITY)
  })
}
