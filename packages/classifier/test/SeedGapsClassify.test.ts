/**
 * The classification gaps of the seed audit (`004_…`), table-driven with each provider's own
 * message forms: an adapter defect is `unknown` and fails over; a 400 saying the model is gone
 * moves to the next model; a 400 saying the model cannot do this moves on without quarantine; a
 * content-policy 400 without a code is a content failure. And the look-alikes that must stay
 * what they were.
 */
import { assert, describe, it } from "@effect/vitest"
import { classify, defectFailure } from "../src/index.ts"
import { type Case, failure, pick } from "./fixtures/failures.ts"

const openai400 = (message: string, errorCode?: string) =>
  failure("openai", { status: 400, errorType: "invalid_request_error", message, ...(errorCode ? { errorCode } : {}) })
const compatible400 = (message: string) => failure("openai-compatible", { status: 400, message })
const anthropic400 = (message: string) =>
  failure("anthropic", { status: 400, errorType: "invalid_request_error", message })
const gemini400 = (message: string) => failure("gemini", { status: 400, errorType: "INVALID_ARGUMENT", message })

const content = (rule: string): Case["expected"] => ({
  class: "content_policy",
  scope: "content",
  retryable: false,
  rule
})
const retired = (rule: string): Case["expected"] => ({
  class: "model_not_found",
  scope: "model",
  retryable: false,
  rule
})
const lacking = (rule: string): Case["expected"] => ({
  class: "invalid_request",
  scope: "model",
  retryable: false,
  errorType: "unsupported_by_model",
  rule
})
const malformed = (rule: string): Case["expected"] => ({
  class: "invalid_request",
  scope: "request",
  retryable: false,
  rule
})

const cases: ReadonlyArray<Case> = [
  // --- content-policy 400s without a code --------------------------------------------------
  {
    title: "OpenAI safety-system 400 without a code (the seed's case)",
    failure: openai400(
      "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system."
    ),
    expected: content("openai.400.content_policy_message")
  },
  {
    title: "OpenAI 'Rejected for safety reasons' (the audit's edge case) is a content failure too",
    failure: openai400("Rejected for safety reasons"),
    expected: content("openai.400.content_policy_message")
  },
  {
    title: "OpenAI usage-policy flag without the invalid_prompt code",
    failure: openai400("Invalid prompt: your prompt was flagged as potentially violating our usage policy."),
    expected: content("openai.400.content_policy_message")
  },
  {
    title: "Azure OpenAI content management policy, code absent",
    failure: compatible400(
      "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry."
    ),
    expected: content("openai.400.content_policy_message")
  },
  {
    title: "Anthropic 'Output blocked by content filtering policy' (invalid_request_error)",
    failure: anthropic400("Output blocked by content filtering policy"),
    expected: content("anthropic.400.content_policy_message")
  },
  {
    title: "Anthropic 'Your input contains content that is not allowed' (the seed's case)",
    failure: anthropic400("Your input contains content that is not allowed."),
    expected: content("anthropic.400.content_policy_message")
  },
  {
    title: "Gemini / Vertex Responsible AI refusal",
    failure: gemini400(
      "The prompt could not be submitted. This prompt contains sensitive words that violate Google's Responsible AI practices."
    ),
    expected: content("gemini.400.content_policy_message")
  },
  {
    title: "Gemini 'blocked due to SAFETY' as a 400",
    failure: gemini400("The request was blocked due to SAFETY."),
    expected: content("gemini.400.content_policy_message")
  },
  // --- the model is gone: next model, quarantined ------------------------------------------
  {
    title: "OpenAI deprecated model on a 400",
    failure: openai400(
      "The model `text-davinci-003` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations"
    ),
    expected: { ...retired("openai.400.model_unavailable"), errorType: "model_unavailable" }
  },
  {
    title: "OpenAI-compatible (Groq) decommissioned model",
    failure: compatible400("The model `llama2-70b-4096` has been decommissioned and is no longer supported."),
    expected: retired("openai.400.model_unavailable")
  },
  {
    title: "OpenAI-compatible 'Invalid model' (Mistral)",
    failure: compatible400("Invalid model: mistral-tiny-2312"),
    expected: retired("openai.400.model_unavailable")
  },
  {
    title: "OpenAI-compatible 'is not a valid model ID' (OpenRouter)",
    failure: compatible400("foo/bar is not a valid model ID"),
    expected: retired("openai.400.model_unavailable")
  },
  {
    title: "OpenAI 400 with a code naming the model",
    failure: openai400("The model gpt-4-0314 is not available.", "model_not_available"),
    expected: retired("openai.400.model_unavailable")
  },
  {
    title: "Anthropic retired model on a 400",
    failure: anthropic400("The model claude-2.0 is deprecated and no longer available. Please use a newer model."),
    expected: retired("anthropic.400.model_unavailable")
  },
  {
    title: "Gemini deprecated model named by its product name",
    failure: gemini400(
      "Gemini 1.0 Pro Vision has been deprecated on July 12, 2024. Consider switching to different model, for example gemini-1.5-flash."
    ),
    expected: retired("gemini.400.model_unavailable")
  },
  {
    title: "Gemini 'models/x is not found' on a 400",
    failure: gemini400("models/gemini-pro is not found for API version v1, or is not supported for generateContent."),
    expected: retired("gemini.400.model_unavailable")
  },
  // --- the model cannot do this: next model, no quarantine ---------------------------------
  {
    title: "OpenAI-compatible model without vision",
    failure: compatible400("This model does not support image input."),
    expected: lacking("openai.400.unsupported_by_model")
  },
  {
    title: "OpenAI image parts only on certain models",
    failure: openai400("Invalid content type. image_url is only supported by certain models."),
    expected: lacking("openai.400.unsupported_by_model")
  },
  {
    title: "Anthropic model without extended thinking",
    failure: anthropic400("thinking is not supported with this model"),
    expected: lacking("anthropic.400.unsupported_by_model")
  },
  {
    title: "Gemini function calling not enabled for the model",
    failure: gemini400("Function calling is not enabled for models/gemini-pro-vision"),
    expected: lacking("gemini.400.unsupported_by_model")
  },
  // --- look-alikes that stay what they were ------------------------------------------------
  {
    title: "a specific code wins over message text: unsupported_parameter fails fast",
    failure: openai400(
      "Unsupported parameter: 'max_tokens' is not supported with this model.",
      "unsupported_parameter"
    ),
    expected: malformed("openai.400.invalid_request_error")
  },
  {
    title: "a deprecated parameter is not a retired model",
    failure: openai400("The 'functions' parameter is deprecated. Please use 'tools' instead."),
    expected: malformed("openai.400.invalid_request_error")
  },
  {
    title: "Gemini safety_settings is a malformed parameter, not a safety block",
    failure: gemini400(
      "* GenerateContentRequest.safety_settings[0]: element predicate failed: $.category in (HarmCategory.HARM_CATEGORY_HATE_SPEECH)"
    ),
    expected: malformed("gemini.400.invalid_argument")
  },
  {
    title: "Anthropic empty content block is malformed, not blocked",
    failure: anthropic400("messages: text content blocks must be non-empty"),
    expected: malformed("anthropic.400.invalid_request_error")
  },
  {
    title: "a tool that does not exist is not a model that does not exist",
    failure: openai400("Invalid 'messages[2].tool_call_id': the tool call does not exist."),
    expected: malformed("openai.400.invalid_request_error")
  },
  {
    title: "OpenAI context length keeps its own row (code first)",
    failure: openai400(
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens.",
      "context_length_exceeded"
    ),
    expected: {
      class: "context_length_exceeded",
      scope: "model",
      retryable: false,
      rule: "openai.400.context_length_exceeded"
    }
  },
  {
    title: "Anthropic spend limit keeps its row ('usage limits' is not 'usage policy')",
    failure: anthropic400("You have reached your specified API usage limits. You will regain access on 2026-08-01."),
    expected: { class: "quota_exhausted", scope: "key", retryable: false, rule: "anthropic.400.spend_limit" }
  }
]

describe("the seed's classification gaps, with each provider's message forms", () => {
  it.each(cases)("$title", ({ failure, expected }) => {
    assert.deepStrictEqual(pick(classify(failure), expected), expected)
  })
})

describe("a defect thrown inside an adapter", () => {
  const context = { provider: "openai", providerId: "primary", model: "gpt-4o", keyId: "k1" }

  it.each([
    ["a TypeError", new TypeError("Cannot read properties of undefined (reading 'choices')")],
    ["a thrown string", "boom"],
    ["a thrown plain object", { weird: true }],
    ["an object whose toString throws", { toString: () => Symbol() as unknown as string }]
  ])("%s is unknown, provider scope, retryable while nothing reached the caller", (_title, defect) => {
    const f = defectFailure(defect, context)
    assert.strictEqual(f.errorType, "adapter_defect")
    assert.strictEqual(f.providerId, "primary")
    assert.strictEqual(f.responseBytesReceived, false)
    assert.deepStrictEqual(pick(classify(f), { class: "unknown", scope: "provider", retryable: true }), {
      class: "unknown",
      scope: "provider",
      retryable: true
    })
    assert.strictEqual(classify(f).rule, "adapter.defect")
    assert.strictEqual(classify(f).errorType, "adapter_defect")
  })

  it("is not retried once output reached the caller (a retry would duplicate it)", () => {
    const c = classify(defectFailure(new Error("bad chunk"), { ...context, responseBytesReceived: true }))
    assert.strictEqual(c.class, "unknown")
    assert.strictEqual(c.retryable, false)
  })

  it("names the defect without its stack and without the key", () => {
    const secret = "sk-proj-abcdefghijklmnop1234"
    const f = defectFailure(new Error(`request failed with key ${secret} and token q-9f8e7d6c5b`), {
      ...context,
      secrets: ["q-9f8e7d6c5b"]
    })
    assert.include(f.message, "adapter defect: Error: request failed")
    assert.notInclude(f.message, secret)
    assert.notInclude(f.message, "q-9f8e7d6c5b")
    assert.notInclude(f.message, "    at ")
  })
})
