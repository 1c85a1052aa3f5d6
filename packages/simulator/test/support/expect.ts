import { assert } from "@effect/vitest"
import type { FaultName } from "../../src/index.ts"
import type { Outcome } from "./sdks.ts"

/** What the SDK must surface for one fault; only the given fields are checked. */
export interface Expect {
  /** Error class the SDK throws (checked by `constructor`, so a subclass does not pass for its parent). */
  readonly cls?: new (
    ...args: Array<any>
  ) => unknown
  readonly name?: string
  readonly status?: number | undefined
  readonly type?: string | null
  readonly code?: string | null
  readonly message?: RegExp
  readonly headers?: Readonly<Record<string, string | RegExp>>
  readonly finish?: string | null
  readonly blockReason?: string
  readonly refusal?: RegExp
  /** `true`: tool arguments parse as JSON; `false`: they do not. */
  readonly toolArgsParse?: boolean
  readonly check?: (o: Outcome) => void
}

export const assertOutcome = (o: Outcome, e: Expect): void => {
  const err = o.error
  if (e.cls !== undefined || e.name !== undefined) {
    assert.isDefined(err, `expected an error, got finish=${String(o.finish)} text=${o.text}`)
    if (e.cls !== undefined)
      assert.strictEqual(err.constructor, e.cls, `error class: got ${err?.constructor?.name}: ${String(err?.message)}`)
    if (e.name !== undefined) assert.strictEqual(err.name, e.name, String(err?.message))
    if ("status" in e) assert.strictEqual(err.status, e.status, "status")
    if (e.type !== undefined) assert.strictEqual(err.type, e.type, "type")
    if (e.code !== undefined) assert.strictEqual(err.code, e.code, "code")
    if (e.message !== undefined) assert.match(String(err.message), e.message)
    for (const [k, v] of Object.entries(e.headers ?? {})) {
      const got = err.headers?.get(k)
      if (typeof v === "string") assert.strictEqual(got, v, `header ${k}`)
      else assert.match(String(got), v, `header ${k}`)
    }
  } else {
    assert.isUndefined(err, `unexpected error ${err?.constructor?.name}: ${String(err?.message)}`)
    if ("finish" in e) assert.strictEqual(o.finish, e.finish, "finish reason")
    if (e.blockReason !== undefined) assert.strictEqual(o.blockReason, e.blockReason, "block reason")
    if (e.refusal !== undefined) assert.match(String(o.refusal), e.refusal)
    if (e.toolArgsParse !== undefined) {
      assert.isDefined(o.toolArgs, "tool arguments")
      let parses = true
      try {
        JSON.parse(o.toolArgs!)
      } catch {
        parses = false
      }
      assert.strictEqual(parses, e.toolArgsParse, `tool arguments ${o.toolArgs}`)
    }
  }
  e.check?.(o)
}

/** provider-signals.md A.9, row by row, and the faults that reproduce each row. */
export const SIGNAL_ROWS: ReadonlyArray<readonly [row: string, faults: ReadonlyArray<FaultName | "ok">]> = [
  ["Rate limit (RPM/TPM)", ["rate_limit", "rate_limit_tokens"]],
  ["Request larger than the rate limit", ["request_exceeds_tpm"]],
  ["Traffic ramp too fast", ["slow_down"]],
  ["Quota / billing exhausted", ["quota_exhausted", "spend_limit", "billing_error"]],
  ["Overloaded / capacity", ["overloaded", "overloaded_in_stream"]],
  ["Server error", ["server_error", "bad_gateway", "gateway_timeout"]],
  [
    "Client-side timeout / connection reset",
    [
      "latency",
      "hang",
      "reset_before_headers",
      "reset_after_headers",
      "stream_cut",
      "stall",
      "malformed_json",
      "truncated_body"
    ]
  ],
  ["Authentication", ["invalid_key"]],
  ["Permission / region", ["permission_denied"]],
  ["Model not found / no access", ["model_not_found"]],
  ["Context length exceeded", ["context_length_exceeded"]],
  ["Output truncated (not an error)", ["max_tokens", "model_context_window_exceeded"]],
  ["Request too large (bytes)", ["request_too_large"]],
  ["Malformed request", ["malformed_request", "unprocessable"]],
  ["Conflict", ["conflict"]],
  ["Input blocked by safety (prompt)", ["input_blocked", "invalid_prompt"]],
  ["Output filtered / refused", ["content_filter", "refusal"]],
  ["Tool-call malformed", ["malformed_tool_call"]],
  ["Normal completion", ["ok", "tool_call"]]
]
