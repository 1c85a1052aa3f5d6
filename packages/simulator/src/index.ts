/**
 * `@am/simulator` — simulated LLM providers: loopback HTTP servers that speak the real
 * OpenAI, Anthropic and Gemini wire formats (JSON and SSE, with usage) and fail exactly as
 * the providers do when a fault script says so. The embedded default of the gateway and
 * the demo, and the upstreams of `@am/testkit`.
 *
 * @example
 * ```ts
 * import { startUpstream } from "@am/simulator"
 *
 * const openai = await startUpstream({ kind: "openai", script: [{ sequence: ["rate_limit", "ok"] }] })
 * // give openai.baseURL to the official SDK; openai.requests is what it saw
 * await openai.close()
 * ```
 * @since 0.1.0
 */
export * from "./FaultScript.ts"
export * from "./Upstream.ts"
export * from "./FaultScenarios.ts"
