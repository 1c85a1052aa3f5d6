/**
 * `@am/testkit` — test doubles for Adaptive Mind: fake OpenAI, Anthropic and Gemini
 * upstream servers with scripted faults, and an in-process `MemoryProvider`.
 *
 * @since 0.1.0
 */
export * from "./FaultScript.ts"
export * from "./MemoryProvider.ts"
export * from "./Upstream.ts"
export * from "./Reachable.ts"
