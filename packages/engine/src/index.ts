/**
 * `@am/engine` — provider → model → key failover as an `ExecutionPlan` of `Schedule`s driven
 * by the classification, with one deadline, one attempt maximum and a shared retry budget per
 * request; content-policy mitigation; the config contract; and the Promise facade.
 *
 * @since 0.1.0
 */
export * from "./Backoff.ts"
export * from "./Config.ts"
export * from "./createEngine.ts"
export * from "./Engine.ts"
export * from "./EngineError.ts"
export * from "./Layers.ts"
export * from "./ModelHealth.ts"
export * from "./RetryBudget.ts"
