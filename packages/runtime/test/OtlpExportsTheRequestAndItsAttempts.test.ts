/**
 * `telemetry.otlp` is wired for real: a request that fails over once (the OpenAI upstream answers
 * 503 once) reaches a fake OTLP collector as one request span and one child span per attempt,
 * under the OpenTelemetry GenAI attribute names, plus the GenAI metrics — through createEngine,
 * over the testkit's upstreams and the official SDKs.
 */
import { startUpstream, type Upstream } from "@am/testkit"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { createEngine, genAiProviderName } from "../src/index.ts"
import { attr, attrs, type CollectedSpan, type Collector, startCollector, waitFor } from "./support/Collector.ts"
import { baseConfig, env, SECRETS } from "./support/Harness.ts"

let openai: Upstream
let anthropic: Upstream
let gemini: Upstream
let collector: Collector

beforeEach(async () => {
  collector = await startCollector()
  openai = await startUpstream({ kind: "openai", keys: [SECRETS.k1, SECRETS.k2], script: [{ sequence: [503] }] })
  anthropic = await startUpstream({ kind: "anthropic", keys: [SECRETS.a1] })
  gemini = await startUpstream({ kind: "gemini", keys: [SECRETS.g1] })
})

afterEach(async () => {
  await Promise.all([openai.close(), anthropic.close(), gemini.close(), collector.close()])
})

const config = (otlp: { url: string; serviceName?: string }) => {
  const raw = baseConfig({ openai: openai.baseURL, anthropic: anthropic.baseURL, gemini: gemini.baseURL })
  // No backoff retry on the provider: the 503 fails over to the next provider at once.
  return { ...raw, retry: { ...raw.retry, providerRetries: 0 }, telemetry: { otlp } }
}

const byStart = (a: CollectedSpan, b: CollectedSpan) =>
  Number(BigInt((a as any).startTimeUnixNano) - BigInt((b as any).startTimeUnixNano))

const dump = () =>
  JSON.stringify(
    {
      posts: collector.posts,
      spans: collector.spans.map((s) => ({ name: s.name, parent: s.parentSpanId, attributes: attrs(s.attributes) })),
      metrics: collector.metrics.map((m) => m.name)
    },
    null,
    1
  )

/** Every data point of the metric `name` the collector received, with its attributes as a record. */
const points = (name: string) =>
  collector.metrics
    .filter((m) => m.name === name)
    .flatMap((m) => (m.data.histogram ?? m.data.sum ?? m.data.gauge)?.dataPoints ?? [])
    .map((p: any) => attrs(p.attributes ?? []))

/** createEngine with `telemetry.otlp`, one request that fails over once, then `close()`. */
const failOverOnce = async (otlp: { url: string; serviceName?: string }) => {
  const engine = createEngine(config(otlp), { env })
  try {
    return await engine.complete({ messages: [{ role: "user", content: "hello over otlp" }] })
  } finally {
    // Effect's default intervals (5 s traces, 10 s metrics) have not passed: what reaches the
    // collector was sent by the shutdown flush.
    await engine.close()
  }
}

const isAttempt = (s: CollectedSpan) => s.name.startsWith("chat ")

describe("telemetry.otlp: traces and metrics reach an OTLP/HTTP collector", () => {
  it("close() flushes spans and the GenAI metrics as OTLP/JSON under the configured service name", async () => {
    const answer = await failOverOnce({ url: collector.url, serviceName: "am-otlp-test" })
    assert.deepStrictEqual(
      answer.resilience.attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}`),
      ["primary/gpt-4o:failure", "secondary/claude-sonnet-4-6:success"],
      "the scripted 503 fails over once"
    )
    assert.strictEqual(openai.requests.length, 1)
    await waitFor(
      () => collector.spans.length > 0 && points("gen_ai.client.operation.duration").length > 0,
      "spans and the gen_ai.client.operation.duration metric",
      dump
    )
    assert.isTrue(
      collector.posts.every((p) => p.endsWith("application/json")),
      "the exporter posts OTLP/JSON"
    )
    assert.isTrue(collector.spans.every((s) => s.serviceName === "am-otlp-test"))
    assert.isTrue(collector.metrics.every((m) => m.serviceName === "am-otlp-test"))

    // GenAI metrics, with the provider named as OpenTelemetry names it.
    const durations = points("gen_ai.client.operation.duration")
    assert.isTrue(
      durations.some((p) => p["gen_ai.provider.name"] === "openai" && p["error.type"] !== undefined),
      dump()
    )
    assert.isTrue(
      durations.some(
        (p) => p["gen_ai.provider.name"] === "anthropic" && p["gen_ai.request.model"] === "claude-sonnet-4-6"
      ),
      dump()
    )
    assert.isTrue(
      points("gen_ai.client.token.usage").some(
        (p) => p["gen_ai.provider.name"] === "anthropic" && p["gen_ai.token.type"] === "input"
      ),
      dump()
    )
    assert.notInclude(dump(), SECRETS.k1)
    assert.notInclude(dump(), SECRETS.a1)
  }, 30_000)

  it("a request that fails over once is one request span with one child span per attempt, under the GenAI names", async () => {
    const answer = await failOverOnce({ url: collector.url })
    const attempts = answer.resilience.attempts
    assert.strictEqual(attempts.length, 2)
    await waitFor(
      () => collector.spans.some((s) => s.name === "Engine.complete") && collector.spans.filter(isAttempt).length >= 2,
      "the request span and both attempt spans",
      dump
    )

    // One request span, named for the operation, with the request's id and outcome.
    const requestSpans = collector.spans.filter((s) => s.name === "Engine.complete")
    assert.strictEqual(requestSpans.length, 1, dump())
    const request = requestSpans[0]!
    assert.strictEqual(attr(request.attributes, "gen_ai.operation.name"), "chat")
    assert.strictEqual(attr(request.attributes, "am.request_id"), answer.resilience.requestId)
    assert.strictEqual(attr(request.attributes, "am.outcome"), answer.resilience.outcome)

    // One span per attempt, children of the request span, in order.
    const attemptSpans = collector.spans.filter(isAttempt).sort(byStart)
    assert.strictEqual(attemptSpans.length, 2, dump())
    const kinds: Record<string, "openai" | "anthropic" | "gemini"> = {
      primary: "openai",
      secondary: "anthropic",
      tertiary: "gemini"
    }
    attemptSpans.forEach((span, i) => {
      const attempt = attempts[i]!
      const a = attrs(span.attributes)
      assert.strictEqual(span.name, `chat ${attempt.model}`)
      assert.strictEqual(span.traceId, request.traceId)
      assert.strictEqual(span.parentSpanId, request.spanId, `attempt ${i + 1} is a child of the request span`)
      assert.strictEqual(a["gen_ai.operation.name"], "chat")
      assert.strictEqual(a["gen_ai.provider.name"], genAiProviderName(kinds[attempt.provider]))
      assert.strictEqual(a["gen_ai.request.model"], attempt.model)
      assert.strictEqual(a["am.provider_id"], attempt.provider)
      assert.strictEqual(a["am.key_fingerprint"], attempt.keyFingerprint)
    })
    const [failed, succeeded] = attemptSpans.map((s) => attrs(s.attributes))
    assert.strictEqual(failed!["gen_ai.provider.name"], "openai")
    assert.strictEqual(failed!["error.type"], attempts[0]!.class, "the failed attempt names its failure class")
    assert.isUndefined(failed!["gen_ai.response.model"])
    assert.strictEqual(succeeded!["gen_ai.provider.name"], "anthropic")
    assert.isUndefined(succeeded!["error.type"])
    assert.isString(succeeded!["gen_ai.response.model"])
    assert.strictEqual(succeeded!["gen_ai.usage.input_tokens"], answer.usage.inputTokens)
    assert.strictEqual(succeeded!["gen_ai.usage.output_tokens"], answer.usage.outputTokens)
    // No secret rides along in any exported attribute.
    for (const secret of Object.values(SECRETS)) assert.notInclude(dump(), secret)
  }, 30_000)

  it("exports on the interval while the engine runs, under the default service name", async () => {
    await using engine = createEngine(config({ url: collector.url }), {
      env,
      observability: { exportInterval: "50 millis" }
    })
    await engine.complete({ messages: [{ role: "user", content: "hello again" }] })
    // No close: the interval export brings spans (the adapters' own, at least) and metrics.
    await waitFor(
      () => collector.spans.length > 0 && points("gen_ai.client.operation.duration").length > 0,
      "spans and metrics on the interval",
      dump
    )
    assert.isTrue(collector.spans.every((s) => s.serviceName === "adaptive-mind"))
  }, 30_000)
})
