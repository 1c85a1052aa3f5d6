/**
 * `@am/provider-gemini` — the Google Gemini adapter: a core `Provider` over the official
 * `@google/genai` SDK (one client per key, SDK retries off), request/response translation and
 * the normalisation of every SDK error into a `ProviderFailure`.
 *
 * @since 0.1.0
 */
export * from "./Embeddings.ts"
export * from "./Failures.ts"
export * from "./GeminiProvider.ts"
export * from "./RequestTranslation.ts"
export * from "./ResponseTranslation.ts"
export * from "./StreamTranslation.ts"
export * from "./ThoughtSignatureStore.ts"
