/**
 * `@am/core` — the shared domain of Adaptive Mind: messages, requests, completions, usage,
 * normalised provider failures, failure classes and scopes, resilience events, request
 * context, key fingerprints and the service interfaces other packages implement.
 *
 * @since 0.1.0
 */
export * from "./ApiKey.ts"
export * from "./Audit.ts"
export * from "./ChatMessage.ts"
export * from "./Completion.ts"
export * from "./CompletionRequest.ts"
export * from "./Embedding.ts"
export * from "./EventBus.ts"
export * from "./Failure.ts"
export * from "./Provider.ts"
export * from "./ProviderFailure.ts"
export * from "./RequestContext.ts"
export * from "./RequestGuard.ts"
export * from "./ResilienceEvent.ts"
export * from "./SchemaIssuePath.ts"
export * as Tracing from "./Tracing.ts"
export * from "./Usage.ts"
