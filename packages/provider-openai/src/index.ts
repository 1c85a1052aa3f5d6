/**
 * `@am/provider-openai` — the OpenAI and OpenAI-compatible adapter: a core `Provider` over the
 * official `openai` SDK (`maxRetries: 0`, one client per key), request/response translation and
 * the normalisation of every SDK error into a `ProviderFailure`.
 *
 * @since 0.1.0
 */
export {
  type EmbeddingsOptions,
  fromCreateEmbeddingResponse,
  makeEmbed,
  toEmbeddingCreateParams
} from "./Embeddings.ts"
export { type FailureContext, parseRateLimitReset, rateLimitHeaders, toProviderFailure } from "./Failures.ts"
export {
  type AdapterConfig,
  DEFAULT_TIMEOUT_MS,
  make,
  type OpenAIAdapterConfig,
  type OpenAIConfig
} from "./OpenAIProvider.ts"
export {
  isReasoningModel,
  type OpenAIKind,
  type RequestTranslationOptions,
  toChatCompletionRequest,
  unhonouredFields
} from "./RequestTranslation.ts"
export {
  fromChatCompletion,
  mapFinishReason,
  type ResponseTranslationOptions,
  readUsage,
  toUsage
} from "./ResponseTranslation.ts"
export { makeStreamTranslator, type StreamTranslator } from "./StreamTranslation.ts"
export { sameWireChatBody } from "./SameWire.ts"
export { type ResponsesInput, type ResponsesInputItem, toResponsesInput } from "./ResponsesInput.ts"
export { type ResponsesSameWireOptions, sameWireResponsesBody } from "./ResponsesSameWire.ts"
export { makeResponsesStreamTranslator, type ResponsesStreamTranslator } from "./ResponsesStreamTranslation.ts"
export {
  annotated,
  fromResponsesObject,
  representedItem,
  type ResponsesProblem,
  responsesEventError,
  responsesFinishReason,
  responsesProblemFailure,
  toResponsesUsage,
  upstreamError
} from "./ResponsesTranslation.ts"
