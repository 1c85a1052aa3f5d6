/**
 * `@am/classifier` — pure, table-driven classification of provider failures: every
 * `ProviderFailure` (and every HTTP-200 refusal, content filter or prompt block) becomes a
 * `Classification { class, scope, retryable, retryAfterMs?, errorType, rule }` whose scope tells
 * the engine where to answer it.
 *
 * @since 0.1.0
 */
export * from "./ClassificationRule.ts"
export * from "./Classifier.ts"
export * from "./Classify.ts"
export * from "./ContentFailure.ts"
export * from "./DefectFailure.ts"
export * from "./Rules.ts"
