/**
 * `@am/breaker` — provider and provider+model circuit breakers for Adaptive Mind, built on
 * `effect/persistence` `CircuitBreaker` and driven by the failure classification.
 *
 * @since 0.1.0
 */
export * from "./BreakerPolicy.ts"
export * from "./Breakers.ts"
export * from "./BreakerTypes.ts"
export * from "./CircuitOpen.ts"
export * from "./Circuits.ts"
