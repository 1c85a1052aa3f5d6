/**
 * The default classification table, as data, in match order. Sources: `provider-signals.md`
 * (A.6–A.9) and the providers' error pages. Provider codes and types are preferred; message text
 * is matched only where the provider sends nothing more specific (each such row says so).
 *
 * @example
 * ```ts
 * import { rules } from "@am/classifier"
 * rules.map((r) => r.name) // ["gemini.200.tool_call_invalid", "content.refusal", …, "unknown"]
 * ```
 * @since 0.1.0
 */
import type { ClassificationRule } from "./ClassificationRule.ts"
import { anthropicRules } from "./internal/rules/Anthropic.ts"
import { geminiRules } from "./internal/rules/Gemini.ts"
import { httpRules } from "./internal/rules/Http.ts"
import { openaiRules } from "./internal/rules/OpenAI.ts"
import { outcomeRules } from "./internal/rules/Outcomes.ts"

export { TOOL_CALL_FINISH_REASONS } from "./internal/rules/ToolCalls.ts"

/**
 * The default table, in match order: non-HTTP outcomes (content, stream, timeout, network,
 * decode), then OpenAI, Anthropic and Gemini rows, then status-only rows for any provider, then
 * `unknown`.
 */
export const rules: ReadonlyArray<ClassificationRule> = [
  ...outcomeRules,
  ...openaiRules,
  ...anthropicRules,
  ...geminiRules,
  ...httpRules
]
