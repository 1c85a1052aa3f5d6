/**
 * `@am/transport` — a pooled, `fetch`-compatible HTTP transport for the provider SDKs: undici's
 * keep-alive pools under a function the OpenAI, Anthropic and Gemini SDKs take as their `fetch`,
 * with streaming bodies, abort, and a graceful close.
 *
 * @since 0.1.0
 */
export * from "./SharedTransport.ts"
export * from "./Transport.ts"
