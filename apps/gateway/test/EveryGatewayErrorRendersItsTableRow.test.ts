/**
 * The error table (DESIGN.md "Errors a client can act on"), row by row: every `GatewayError`
 * reason — and every `EngineError` reason inside `EngineFailed` — is rendered with its status,
 * OpenAI error body, stable code, `x-should-retry`, `retry-after` and `x-am-*` headers. The
 * end-to-end tests reach the rows a real request can; this one covers them all.
 */
import { EngineError } from "@am/engine"
import { HttpServerResponse } from "effect/http"
import { describe, expect, it } from "vitest"
import {
  errorEvent,
  errorResponse,
  GatewayError,
  type GatewayErrorReason,
  IdempotencyInProgress,
  IdempotencyKeyReused,
  IdempotencyUnavailable,
  Internal,
  MethodNotAllowed,
  NotFound,
  RequestTooLarge,
  ShuttingDown,
  Unauthorized,
  UnsupportedMediaType
} from "../src/index.ts"

const render = async (reason: GatewayErrorReason) => {
  const web = HttpServerResponse.toWeb(errorResponse(new GatewayError({ reason })))
  const body = (await web.json()) as { error: { message: string; type: string; param: string | null; code: string } }
  return { status: web.status, headers: web.headers, body: body.error }
}

const engineError = (fields: Partial<ConstructorParameters<typeof EngineError>[0]> & { code: EngineError["code"] }) =>
  new EngineError({
    message: `engine says ${fields.code}`,
    requestId: "req-1",
    attempts: [
      { provider: "p", model: "m", outcome: "failure", latencyMs: 5 },
      { provider: "q", model: "n", outcome: "skipped", skipped: "circuit_open", latencyMs: 0 }
    ],
    ...fields
  })

describe("every GatewayError renders its row of the error table", () => {
  it.each([
    [new Unauthorized({ detail: "invalid gateway key" }), 401, "authentication_error", "unauthorized", "false"],
    [GatewayError.invalid("bad", "x-am-deadline-ms").reason, 400, "invalid_request_error", "invalid_request", "false"],
    [new RequestTooLarge({ maxBytes: 10 }), 413, "invalid_request_error", "request_too_large", "false"],
    [
      new UnsupportedMediaType({ contentType: "text/plain" }),
      415,
      "invalid_request_error",
      "unsupported_media_type",
      "false"
    ],
    [new NotFound({ what: "route GET /nope" }), 404, "invalid_request_error", "not_found", "false"],
    [new MethodNotAllowed({ allowed: "POST" }), 405, "invalid_request_error", "method_not_allowed", "false"],
    [
      new IdempotencyInProgress({ retryAfterMs: 1000 }),
      409,
      "invalid_request_error",
      "idempotency_in_progress",
      "true"
    ],
    [new IdempotencyKeyReused(), 422, "invalid_request_error", "idempotency_key_reused", "false"],
    [new IdempotencyUnavailable({ detail: "lease" }), 503, "api_error", "idempotency_unavailable", "true"],
    [new ShuttingDown(), 503, "api_error", "shutting_down", "true"],
    [new Internal(), 500, "api_error", "internal_error", "true"]
  ] as const)("%o → %i %s %s", async (reason, status, type, code, shouldRetry) => {
    const r = await render(reason)
    expect(r.status).toBe(status)
    expect(r.body).toMatchObject({ type, code, message: reason.message })
    expect(r.headers.get("x-should-retry")).toBe(shouldRetry)
    expect(r.headers.get("content-type")).toContain("application/json")
  })

  it("names the field, the allowed method and when an idempotent duplicate may retry", async () => {
    expect((await render(GatewayError.invalid("bad", "x-am-deadline-ms").reason)).body.param).toBe("x-am-deadline-ms")
    expect((await render(new MethodNotAllowed({ allowed: "POST" }))).headers.get("allow")).toBe("POST")
    const busy = await render(new IdempotencyInProgress({ retryAfterMs: 1000 }))
    expect(busy.body.param).toBe("Idempotency-Key")
    expect(busy.headers.get("retry-after")).toBe("1")
    expect(busy.headers.get("retry-after-ms")).toBe("1000")
    expect((await render(new UnsupportedMediaType({}))).body.message).toContain("(got none)")
  })

  it.each([
    ["invalid_request", 400, "invalid_request_error", "false"],
    ["request_too_large", 413, "invalid_request_error", "false"],
    ["content_policy", 400, "invalid_request_error", "false"],
    ["no_route", 404, "invalid_request_error", "false"],
    ["all_providers_failed", 502, "api_error", "true"],
    ["stream_interrupted", 502, "api_error", "true"],
    ["interrupted", 503, "api_error", "true"],
    ["deadline_exceeded", 504, "api_error", "true"]
  ] as const)("engine %s → %i %s, with the x-am-* headers of the failure", async (code, status, type, shouldRetry) => {
    const error = engineError({ code })
    const r = await render(GatewayError.engine(error).reason)
    expect(r.status).toBe(status)
    expect(r.body).toEqual({ message: error.message, type, param: null, code })
    expect(r.headers.get("x-should-retry")).toBe(shouldRetry)
    expect(r.headers.get("x-am-request-id")).toBe("req-1")
    expect(r.headers.get("x-am-attempts")).toBe("1") // the skipped candidate was not a call
    expect(r.headers.get("x-am-outcome")).toBe("FAILURE")
    // An outage with no known delay still tells the client to pause (DEFAULT_RETRY_AFTER_MS).
    expect(r.headers.get("retry-after")).toBe(code === "all_providers_failed" ? "1" : null)
  })

  it("renders an engine's bad field as param, and when every provider may answer again as retry-after", async () => {
    const invalid = await render(
      GatewayError.engine(engineError({ code: "invalid_request", field: "temperature" })).reason
    )
    expect(invalid.body.param).toBe("temperature")
    const failed = await render(
      GatewayError.engine(engineError({ code: "all_providers_failed", retryAfterMs: 2500 })).reason
    )
    expect(failed.headers.get("retry-after")).toBe("3")
    expect(failed.headers.get("retry-after-ms")).toBe("2500")
  })

  it("ends a cut stream with the same body as an SSE error event", () => {
    const error = GatewayError.engine(engineError({ code: "stream_interrupted" }))
    const frame = errorEvent(error)
    expect(frame.startsWith("data: ")).toBe(true)
    expect(frame.endsWith("\n\n")).toBe(true)
    expect(JSON.parse(frame.slice(6))).toEqual({
      error: { message: error.message, type: "api_error", param: null, code: "stream_interrupted" }
    })
  })
})
