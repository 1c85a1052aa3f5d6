// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
/**
 * 400s whose code says only "invalid request" but whose message says more: a content-policy
 * block, a model that is gone, or a model that cannot do what was asked. Each provider's table
 * puts these rows after its coded rows and before its 400 catch-all, and a row applies only when
 * the 400 carries no specific code (a code such as `unsupported_parameter` is the provider's own
 * verdict and wins over message text); the text is the only signal the provider sends (the seed
 * audit `004_…`: the OpenAI safety 400 without a code, Anthropic's `invalid_request_error` about
 * content, the "model is deprecated / not available / does not support" family).
 */
import type { ProviderKind } from "@am/core"
import type { ClassificationRule } from "../../ClassificationRule.ts"
import { all, any, message, type Predicate } from "../Predicates.ts"

/**
 * Content-policy blocks: OpenAI "rejected as a result of our safety system", "flagged as
 * potentially violating our usage policy"; Azure "content management policy"; Anthropic
 * "Output blocked by content filtering policy", "Your input contains content that is not
 * allowed"; Gemini / Vertex "violate Google's Responsible AI practices", "blocked due to SAFETY".
 * Not `safety_settings` (a malformed parameter: no word boundary after "safety").
 */
export const CONTENT_POLICY_TEXT =
  /safety system|content (?:management |filtering )?polic(?:y|ies)|\bcontent filters?\b|usage polic(?:y|ies)|responsible ai|contains? content that (?:is|was) not allowed|not allowed by our|\b(?:rejected|blocked|flagged|refused)\b[^.]{0,60}\b(?:safety|content|polic(?:y|ies)|PROHIBITED_CONTENT)\b|violat\w*[^.]{0,40}\b(?:polic(?:y|ies)|guidelines|terms of (?:use|service))\b|considered high risk/i

/**
 * A model that does not exist (any more) or is not served to this key: "The model `x` does not
 * exist", "has been deprecated", "is no longer available", "has been decommissioned", "Invalid
 * model", "not a valid model ID", "models/x is not found", "Gemini 1.0 Pro Vision has been
 * deprecated on …". The subject must be the model, so "'functions' is deprecated" is not one; a
 * dot inside a name (`claude-2.0`) does not end the sentence.
 */
export const MODEL_UNAVAILABLE_TEXT: ReadonlyArray<RegExp> = [
  /\bmodel\b(?:[^.]|\.(?=\S)){0,80}?\b(?:does not exist|doesn't exist|not found|is not available|not available|unavailable|not accessible|no longer (?:available|supported|served|accessible)|(?:has been|is|was) (?:deprecated|decommissioned|retired|discontinued|removed|shut ?down|sunset))/i,
  /\b(?:invalid|unknown|unsupported|deprecated|decommissioned|retired|nonexistent|non-existent) model\b/i,
  /\bnot a valid model\b|\bunable to access model\b|\bno such model\b/i,
  /\bmodels\/[\w.-]+ is not found\b/i,
  /^\s*(?:gemini|claude|gpt|o\d|models\/)[\w .-]{0,40}?\b(?:has been|is|was) (?:deprecated|decommissioned|retired|discontinued)\b/i
]

/**
 * A model that cannot do what this request asks (another model may): "This model does not
 * support image input", "'temperature' is not supported with this model", "Function calling is
 * not enabled for models/gemini-pro", "image_url is only supported by certain models".
 */
export const UNSUPPORTED_BY_MODEL_TEXT: ReadonlyArray<RegExp> = [
  /\b(?:this|the|that) model\b(?:[^.]|\.(?=\S)){0,60}\b(?:does not|doesn't|do not|cannot|can't) (?:support|accept|handle)\b/i,
  /\b(?:not|isn't|aren't) (?:supported|enabled|available|allowed) (?:with|for|by|on|in) (?:this|the|that|your) model\b/i,
  /\bdoes not support\b[^.]{0,60}\bwith this model\b/i,
  /\bnot enabled for models\/|\bonly supported (?:by|on|for) (?:certain|some|specific) models\b/i
]

const anyText = (patterns: ReadonlyArray<RegExp>): Predicate => any(...patterns.map(message))

// Codes that say no more than "bad request": a message may refine them. A specific code
// (`unsupported_parameter`, `invalid_value`) is the provider's own verdict and keeps its row.
const GENERIC_CODES: ReadonlySet<string> = new Set([
  "invalid_request_error",
  "invalid_request",
  "bad_request",
  "invalid_argument",
  "INVALID_ARGUMENT"
])

/** No code, or one that says nothing the message could contradict. */
const noTellingCode: Predicate = (f) =>
  typeof f.errorCode !== "string" || f.errorCode === "" || GENERIC_CODES.has(f.errorCode)

/** For the model rows: also a code that itself names the model (`model_deprecated`, `model_not_available`). */
const noTellingCodeOrModelCode: Predicate = (f) =>
  noTellingCode(f) || (typeof f.errorCode === "string" && /model/i.test(f.errorCode))

/** The three message-form rows of one provider, for its 400s (`is400` is its own 400 test). */
export const messageFormRules = (
  prefix: string,
  provider: ProviderKind | ReadonlyArray<ProviderKind>,
  is400: Predicate
): ReadonlyArray<ClassificationRule> => [
  {
    name: `${prefix}.400.content_policy_message`,
    provider,
    when: all(is400, noTellingCode, message(CONTENT_POLICY_TEXT)),
    then: { class: "content_policy", scope: "content", retryable: false, errorType: "content_policy" }
  },
  {
    // Same as a 404: next model, and the model is quarantined (a retired model is retired for all).
    name: `${prefix}.400.model_unavailable`,
    provider,
    when: all(is400, noTellingCodeOrModelCode, anyText(MODEL_UNAVAILABLE_TEXT)),
    then: { class: "model_not_found", scope: "model", retryable: false, errorType: "model_unavailable" }
  },
  {
    // Next model, without quarantine: the model is fine for requests that do not need the feature.
    name: `${prefix}.400.unsupported_by_model`,
    provider,
    when: all(is400, noTellingCodeOrModelCode, anyText(UNSUPPORTED_BY_MODEL_TEXT)),
    then: { class: "invalid_request", scope: "model", retryable: false, errorType: "unsupported_by_model" }
  }
]
