/**
 * `@am/provider-openai` — the OpenAI and OpenAI-compatible adapter: a core `Provider` over the
 * official `openai` SDK (`maxRetries: 0`, one client per key), request/response translation and
 * the normalisation of every SDK error into a `ProviderFailure`.
 *
 * @since 0.1.0
 */
export * from "./Failures.ts"
export * from "./OpenAIProvider.ts"
export * from "./RequestTranslation.ts"
export * from "./ResponseTranslation.ts"
