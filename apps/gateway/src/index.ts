/**
 * `@am/gateway` — the OpenAI-compatible gateway: any OpenAI client, in any language, gets the
 * engine's failover, breakers, retries, audit and telemetry by changing its base URL.
 *
 * @since 0.1.0
 */
export * from "./AmHeaders.ts"
export * from "./AnthropicWire.ts"
export * from "./ChatCompletionsRoute.ts"
export * from "./DroppedFields.ts"
export * from "./Dashboard.ts"
export * from "./Embedded.ts"
export * from "./ErrorResponse.ts"
export * from "./Gateway.ts"
export * from "./GatewayAuth.ts"
export * from "./GatewayError.ts"
export * from "./Lifecycle.ts"
export * from "./MessagesRoute.ts"
export * from "./ModelsRoute.ts"
export * from "./OpenAIWire.ts"
export * from "./OperatorRoutes.ts"
export * from "./ProbeRoutes.ts"
export * from "./Readiness.ts"
export * from "./RequestInput.ts"
export * from "./ResponsesRoute.ts"
export * from "./ResponsesWire.ts"
export * from "./RouteGuard.ts"
export * from "./Routes.ts"
