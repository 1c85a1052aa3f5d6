/**
 * `@am/gateway` — the OpenAI-compatible gateway: any OpenAI client, in any language, gets the
 * engine's failover, breakers, retries, audit and telemetry by changing its base URL.
 *
 * @since 0.1.0
 */
export * from "./ApiError.ts"
export * from "./Dashboard.ts"
export * from "./Embedded.ts"
export * from "./Gateway.ts"
export * from "./GatewayAuth.ts"
export * from "./Lifecycle.ts"
export * from "./OpenAIWire.ts"
export * from "./Readiness.ts"
export * from "./Routes.ts"
