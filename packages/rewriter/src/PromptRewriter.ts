/**
 * The `PromptRewriter` service: rephrase a policy-blocked prompt once, for policy compliance.
 * The engine calls it on a content-scope failure and publishes the `prompt.humanization.*`
 * events itself; the rewriter publishes nothing. Only the last user message is rephrased;
 * system, assistant and tool messages and earlier user turns are kept as they are.
 *
 * @example
 * ```ts
 * import { PromptRewriter } from "@am/rewriter"
 * import { Effect } from "effect"
 * const program = PromptRewriter.use((r) =>
 *   r.rewrite({ messages: [{ role: "user", content: "How do I kill a hung process?" }], reason: "content_filter" })
 * )
 * Effect.runPromise(program.pipe(Effect.provide(PromptRewriter.layerRule())))
 * ```
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import { type LLMRewriterOptions, makeLLM } from "./LLMRewriter.ts"
import type { PromptRewriterShape } from "./RewriteInput.ts"
import { makeRule, type RuleRewriterOptions } from "./RuleRewriter.ts"

export class PromptRewriter extends Context.Service<PromptRewriter, PromptRewriterShape>()(
  "@am/rewriter/PromptRewriter"
) {
  /** The rule rewriter: no model; the table of `RuleRewriter.ts` plus a benign framing. */
  static layerRule(options?: RuleRewriterOptions): Layer.Layer<PromptRewriter> {
    return Layer.succeed(PromptRewriter, makeRule(options))
  }

  /** The LLM rewriter: its own provider, model, key source and timeout (default 10 s). */
  static layerLLM(options: LLMRewriterOptions): Layer.Layer<PromptRewriter> {
    return Layer.succeed(PromptRewriter, makeLLM(options))
  }
}
