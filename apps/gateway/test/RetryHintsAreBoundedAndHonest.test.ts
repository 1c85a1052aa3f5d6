/**
 * The rows of the error table no single scripted request pins down exactly, rendered from the
 * `EngineError` the engine builds: a rate limit's Retry-After is when the first key frees up
 * (uncapped: it is the truth the client must wait for); an outage's is the gateway's hint capped
 * at 10 s, unless an upstream itself announced more, and 1 s when nothing said when; 503 when
 * nothing was sent, 502 when upstreams answered; an upstream's own 4xx code is kept.
 */
import { EngineError } from "@am/engine"
import { HttpServerResponse } from "effect/http"
import { describe, expect, it } from "vitest"
import { errorResponse, GatewayError, ModelNotFound, outageRetryAfterMs } from "../src/index.ts"

type Fields = ConstructorParameters<typeof EngineError>[0]

const failed = { provider: "primary", model: "gpt-4o", outcome: "failure", latencyMs: 3 } as const
const skipped = {
  provider: "primary",
  model: "gpt-4o",
  outcome: "skipped",
  skipped: "circuit_open",
  latencyMs: 0
} as const

const render = async (fields: Partial<Fields> & Pick<Fields, "code">) => {
  const error = new EngineError({ message: "m", requestId: "req_test0001", attempts: [failed], ...fields })
  const web = HttpServerResponse.toWeb(errorResponse(GatewayError.engine(error)))
  const body = (await web.json()) as { error: { type: string; code: string; param: string | null } }
  return { status: web.status, headers: web.headers, body: body.error }
}

describe("an outage's Retry-After", () => {
  it.each([
    ["an open breaker's 30 s is capped", 30_000, undefined, 10_000],
    ["a short breaker hint is kept", 2_500, undefined, 2_500],
    ["an upstream that said 20 s is passed on", 30_000, 20_000, 20_000],
    ["an upstream's short hint under a long breaker: the cap", 60_000, 2_000, 10_000],
    ["only an upstream said when", undefined, 3_000, 3_000],
    ["nothing said when: 1 s", undefined, undefined, 1_000]
  ] as const)("%s", async (_title, gatewayMs, upstreamMs, expected) => {
    expect(outageRetryAfterMs(gatewayMs, upstreamMs)).toBe(expected)
    const r = await render({
      code: "all_providers_failed",
      ...(gatewayMs !== undefined ? { retryAfterMs: gatewayMs } : {}),
      ...(upstreamMs !== undefined ? { upstreamRetryAfterMs: upstreamMs } : {})
    })
    expect(r.status).toBe(502)
    expect(r.body).toMatchObject({ type: "api_error", code: "all_providers_failed" })
    expect(r.headers.get("retry-after-ms")).toBe(String(expected))
    expect(r.headers.get("retry-after")).toBe(String(Math.ceil(expected / 1000)))
    expect(r.headers.get("x-should-retry")).toBe("true")
  })

  it("is 503 when every candidate was skipped unsent, 502 when an upstream answered", async () => {
    expect((await render({ code: "all_providers_failed", attempts: [skipped] })).status).toBe(503)
    expect((await render({ code: "all_providers_failed", attempts: [failed, skipped] })).status).toBe(502)
  })
})

describe("a rate limit", () => {
  it("is 429 rate_limited with when the first key frees up, even past the outage cap", async () => {
    const r = await render({ code: "all_providers_failed", rateLimited: true, retryAfterMs: 42_000 })
    expect(r.status).toBe(429)
    expect(r.body).toMatchObject({ type: "rate_limit_error", code: "rate_limited" })
    expect(r.headers.get("retry-after")).toBe("42")
    expect(r.headers.get("retry-after-ms")).toBe("42000")
    expect(r.headers.get("x-should-retry")).toBe("true")
  })

  it("sends no Retry-After when no key said when", async () => {
    const r = await render({ code: "all_providers_failed", rateLimited: true })
    expect(r.status).toBe(429)
    expect(r.headers.get("retry-after")).toBeNull()
  })
})

describe("an upstream's rejection keeps its status and code", () => {
  const upstream = { provider: "primary", model: "gpt-4o" }
  it.each([
    [
      "context length → 400 context_length_exceeded",
      { status: 400, class: "context_length_exceeded" },
      400,
      "context_length_exceeded",
      "messages"
    ],
    [
      "Anthropic 'prompt is too long' (no code) → the same",
      { status: 400, class: "context_length_exceeded", errorType: "prompt_too_long" },
      400,
      "context_length_exceeded",
      "messages"
    ],
    [
      "an upstream code is kept",
      { status: 400, class: "invalid_request", errorCode: "unsupported_parameter" },
      400,
      "unsupported_parameter",
      null
    ],
    ["a 422 stays 422", { status: 422, class: "invalid_request" }, 422, "invalid_request", null],
    [
      "a code that is not a token becomes invalid_request",
      { status: 400, class: "invalid_request", errorCode: "Some Long Thing!" },
      400,
      "invalid_request",
      null
    ],
    ["a status that is not 4xx becomes 400", { class: "invalid_request" }, 400, "invalid_request", null]
  ] as const)("%s", async (_title, u, status, code, param) => {
    const r = await render({ code: "invalid_request", upstream: { ...upstream, ...u } })
    expect(r.status).toBe(status)
    expect(r.body).toMatchObject({ type: "invalid_request_error", code, param })
    expect(r.headers.get("x-should-retry")).toBe("false")
    expect(r.headers.get("retry-after")).toBeNull()
  })

  it("a model the upstream does not have, or that is quarantined, is 404 model_not_found", async () => {
    const byUpstream = await render({
      code: "no_route",
      upstream: { ...upstream, status: 404, class: "model_not_found", errorCode: "model_not_found" }
    })
    expect(byUpstream.status).toBe(404)
    expect(byUpstream.body).toMatchObject({ code: "model_not_found", param: "model" })
    const quarantined = await render({
      code: "no_route",
      attempts: [{ ...skipped, skipped: "model_unavailable" }]
    })
    expect(quarantined.body.code).toBe("model_not_found")
    // A route with no candidate at all is still no_route.
    expect((await render({ code: "no_route", attempts: [] })).body.code).toBe("no_route")
  })

  it("an unknown model id on /v1/models/{id} is 404 model_not_found", async () => {
    const web = HttpServerResponse.toWeb(errorResponse(new GatewayError({ reason: new ModelNotFound({ model: "x" }) })))
    expect(web.status).toBe(404)
    expect(((await web.json()) as { error: { code: string } }).error.code).toBe("model_not_found")
    expect(web.headers.get("x-request-id")).toMatch(/^req_/)
  })
})
