/**
 * `@am/engine` — the orchestrator: provider → model → key failover as an `ExecutionPlan` of
 * `Schedule`s driven by a pure decision table over the classification, with one deadline, one
 * attempt maximum and a shared retry budget per request, and content-policy mitigation. Composed
 * from `@am/core` service interfaces only; the config file and the all-in-one wiring are
 * `@am/runtime`'s.
 *
 * @since 0.1.0
 */
export * from "./Backoff.ts"
export * as Decision from "./Decision.ts"
export * from "./DroppedFields.ts"
export * from "./Engine.ts"
export * from "./EngineConfig.ts"
export * from "./EngineError.ts"
export * from "./EngineTypes.ts"
export * from "./ModelHealth.ts"
export * from "./RequestRecorder.ts"
export * from "./RetryBudget.ts"
