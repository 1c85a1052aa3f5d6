/**
 * `@am/provider-anthropic` — the Anthropic adapter: `@anthropic-ai/sdk` (Messages API) behind the
 * core `Provider` interface, with every SDK error normalised into a `ProviderFailure`.
 *
 * @since 0.1.0
 */
export * from "./AnthropicProvider.ts"
export * from "./Failures.ts"
export * from "./RequestTranslation.ts"
export * from "./ResponseTranslation.ts"
export * from "./SameWire.ts"
export * from "./StreamTranslation.ts"
