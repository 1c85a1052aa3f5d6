/**
 * `@am/testkit` — test doubles for Adaptive Mind: an in-process `MemoryProvider`, the
 * `reachable` check for suites that need this machine's services, and (re-exported from
 * `@am/simulator`, so tests and benches keep one import) the simulated OpenAI, Anthropic
 * and Gemini upstreams with scripted faults. `@am/testkit/redis` holds the Redis helpers.
 *
 * @since 0.1.0
 */
export * from "@am/simulator"
export * from "./MemoryProvider.ts"
export * from "./Reachable.ts"
export * from "./FaultProxy.ts"
export * from "./SilentHost.ts"
