// biome-ignore-all lint/suspicious/noThenProperty: a rule's `then` is a plain object, never a function, so a rule is not a thenable.
import type { ProviderFailure } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ClassificationRule, Classifier, classifyWith, rules } from "../src/index.ts"
import { failure } from "./fixtures/failures.ts"

const queueFull: ClassificationRule = {
  name: "acme.503.queue_full",
  provider: "openai-compatible",
  when: (f) => f.status === 503 && f.errorCode === "queue_full",
  then: { class: "rate_limit", scope: "key", retryable: true, errorType: "queue_full", retryAfter: "rate-limit" }
}

const queueFullFailure = failure("openai-compatible", {
  status: 503,
  errorCode: "queue_full",
  message: "queue full, retry in 2s"
})

describe("custom tables", () => {
  it.effect("Classifier.layerWith puts the user's rules before the default table", () =>
    Effect.gen(function* () {
      const classifier = yield* Classifier
      const c = classifier.classify(queueFullFailure)
      assert.deepStrictEqual(
        [c.class, c.scope, c.rule, c.retryAfterMs],
        ["rate_limit", "key", "acme.503.queue_full", 2000]
      )
      // Everything else still goes through the default table.
      assert.strictEqual(
        classifier.classify(failure("anthropic", { status: 529, message: "Overloaded" })).rule,
        "anthropic.529.overloaded_error"
      )
    }).pipe(Effect.provide(Classifier.layerWith([queueFull])))
  )

  it.effect("Classifier.layer is the default table", () =>
    Effect.gen(function* () {
      const classifier = yield* Classifier
      assert.strictEqual(classifier.classify(queueFullFailure).rule, "openai.503.overloaded")
    }).pipe(Effect.provide(Classifier.layer))
  )

  it("a rule's provider filter keeps it off other providers", () => {
    const classify = classifyWith([queueFull, ...rules])
    assert.strictEqual(
      classify(failure("openai", { status: 503, errorCode: "queue_full", message: "" })).rule,
      "openai.503.overloaded"
    )
  })

  it("a throwing user rule is skipped, not propagated", () => {
    const broken: ClassificationRule = {
      name: "broken",
      when: (f: ProviderFailure) => (f.rateLimit as Record<string, string>)["x"]!.length > 0,
      then: { class: "invalid_request", scope: "request", retryable: false, errorType: "broken" }
    }
    const classify = classifyWith([broken, ...rules])
    assert.strictEqual(classify(failure("gemini", { status: 503, message: "" })).rule, "gemini.503.unavailable")
  })

  it("a table with no match yields unknown", () => {
    const c = classifyWith([])(failure("openai", { status: 429, message: "" }))
    assert.deepStrictEqual([c.class, c.scope, c.retryable, c.rule], ["unknown", "provider", true, "unknown"])
  })
})
