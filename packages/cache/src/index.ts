/**
 * `@am/cache` — idempotency keys (replay a finished call, reject or await one in flight on any
 * replica, reject a reused key) and an exact-match response cache (canonical request hash, TTL,
 * bounded LRU, single-flight), in memory, Redis and SQL.
 *
 * @since 0.1.0
 */
export * as BoundedRedisSet from "./BoundedRedisSet.ts"
export * from "./Errors.ts"
export * from "./Idempotency.ts"
export * as IdempotencySql from "./IdempotencySql.ts"
export * from "./IdempotencyStore.ts"
export * from "./Replay.ts"
export * from "./ReplayRecord.ts"
export * from "./RequestHash.ts"
export * from "./ResponseCache.ts"
