/**
 * How a call maps onto circuits: which two it runs under (by name) and what its classified
 * outcome teaches them.
 *
 * @example
 * ```ts
 * import { modelBreakerName, providerBreakerName } from "@am/breaker"
 * providerBreakerName("primary") // "provider:primary"
 * modelBreakerName("primary", "gpt-4o") // "model:primary/gpt-4o"
 * ```
 * @since 0.1.0
 */
import type { Classification } from "@am/core"
import { Duration } from "effect"
import { CircuitBreaker } from "effect/persistence"

/** The name of a provider's circuit. */
export const providerBreakerName = (provider: string): string => `provider:${provider}`
/** The name of a provider+model circuit. */
export const modelBreakerName = (provider: string, model: string): string => `model:${provider}/${model}`

/**
 * What one classified failure tells a circuit: a provider-scoped failure counts (its Retry-After
 * becomes the floor of the open duration, if this failure trips the circuit); every other scope
 * says nothing about the provider's health and is `Ignored`.
 *
 * @example
 * ```ts
 * import { outcomeOf } from "@am/breaker"
 * outcomeOf({ class: "rate_limit", scope: "key", retryable: true, errorType: "429", rule: "openai.429" })
 * // { _tag: "Ignored" }
 * ```
 */
export const outcomeOf = (classification: Classification): CircuitBreaker.Outcome =>
  classification.scope === "provider"
    ? CircuitBreaker.failure({
        retryAfter: classification.retryAfterMs === undefined ? undefined : Duration.millis(classification.retryAfterMs)
      })
    : CircuitBreaker.ignored
