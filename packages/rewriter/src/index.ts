/**
 * `@am/rewriter` — the `PromptRewriter` service that rephrases a policy-blocked prompt once:
 * an LLM rewriter (own provider, own timeout, injection-safe meta-prompt) and a rule rewriter
 * (a documented table, no model). Failures are typed `RewriteFailed` outcomes.
 *
 * @since 0.1.0
 */
export * from "./LLMRewriter.ts"
export * from "./PromptRewriter.ts"
export * from "./RewriteFailed.ts"
export * from "./RewriteInput.ts"
export * from "./RuleRewriter.ts"
