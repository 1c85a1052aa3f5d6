import { EventBus, makeUsage } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Metrics, Telemetry } from "../src/index.ts"
import { buildIn, failure, isolatedMetrics, success } from "./support.ts"

describe("metrics and the Prometheus export", () => {
  it.effect("GenAI histograms carry provider, model and error.type; am.* counters count by reason", () =>
    Effect.gen(function* () {
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [Metrics.subscriber({ providerName: (p) => (p === "openai" ? "openai" : p) })]
        })
      )
      const publish = bus.get(EventBus).publish
      yield* publish(success(1))
      yield* publish(failure(2))
      yield* publish({ topic: "model.failover", provider: "openai", fromModel: "gpt-4o", reason: "overloaded" })
      yield* publish({ topic: "provider.failover", fromProvider: "openai", reason: "circuit_open" })
      yield* publish({ topic: "circuit.tripped", breaker: "provider:openai", provider: "openai", openForMs: 30_000 })
      yield* publish({ topic: "circuit.reset", breaker: "provider:openai", provider: "openai" })
      yield* publish({
        topic: "resource.penalized",
        provider: "openai",
        keyId: "k2",
        keyFingerprint: "fp_ba9876543210",
        class: "rate_limit",
        cooldownMs: 1000,
        penalty: 1
      })
      yield* publish({ topic: "prompt.humanization.success", rewriter: "paraphrase", latencyMs: 40 })
      yield* Scope.close(bus.scope, Exit.void)
      yield* Metrics.recordUsage({
        provider: "openai",
        model: "gpt-4o",
        usage: makeUsage({ inputTokens: 100, outputTokens: 20 })
      })

      const text = yield* Metrics.prometheus
      const genai = 'gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o"'
      assert.include(text, "# TYPE gen_ai_client_operation_duration histogram")
      // 120 ms success: in the 0.16 s bucket, not in 0.08 s.
      assert.include(text, `gen_ai_client_operation_duration_bucket{${genai},le="0.08"} 0`)
      assert.include(text, `gen_ai_client_operation_duration_bucket{${genai},le="0.16"} 1`)
      assert.include(text, `gen_ai_client_operation_duration_bucket{${genai},error_type="RateLimitError",le="2.56"} 1`)
      assert.include(text, `gen_ai_client_token_usage_sum{${genai},gen_ai_token_type="input"} 100`)
      assert.include(text, `gen_ai_client_token_usage_sum{${genai},gen_ai_token_type="output"} 20`)
      assert.include(text, 'am_attempts{provider="openai",model="gpt-4o",outcome="failure",class="rate_limit"} 1')
      assert.include(text, 'am_failovers{kind="model",provider="openai",reason="overloaded"} 1')
      assert.include(text, 'am_failovers{kind="provider",provider="openai",reason="circuit_open"} 1')
      assert.include(text, 'am_breaker_transitions{breaker="provider:openai",provider="openai",to="open"} 1')
      assert.include(text, 'am_breaker_transitions{breaker="provider:openai",provider="openai",to="closed"} 1')
      assert.include(text, 'am_key_penalties{provider="openai",kind="penalized",reason="rate_limit"} 1')
      assert.include(text, 'am_mitigations{rewriter="paraphrase",outcome="success"} 1')
    }).pipe(isolatedMetrics)
  )
})
