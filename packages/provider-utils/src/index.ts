/**
 * `@am/provider-utils` — what the three provider adapters (`@am/provider-openai`,
 * `@am/provider-anthropic`, `@am/provider-gemini`) share: the adapter config, the per-key client
 * cache, the client-factory seam, the default-timeout rule, the call lifecycle (abort on close,
 * the adapter's own timers) and the SDK-independent parts of failure normalisation. No SDK here.
 *
 * @since 0.1.0
 */
export * from "./AdapterConfig.ts"
export * from "./CallLifecycle.ts"
export * from "./ClientCache.ts"
export * from "./ConnectTimeout.ts"
export * from "./Failures.ts"
export * from "./Passthrough.ts"
export * from "./TolerantEventStream.ts"
