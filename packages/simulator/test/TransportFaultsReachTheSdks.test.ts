/**
 * Transport faults (latency, hang, resets, cuts, stalls, broken bodies) through each
 * official SDK, JSON and SSE: which error each SDK raises — APIConnectionError,
 * APIConnectionTimeoutError, undici's "terminated", a JSON SyntaxError… — or, for a
 * silent truncation, that the stream simply ends without a finish reason.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import OpenAI from "openai"
import type { FaultStep, Upstream, UpstreamKind } from "../src/index.ts"
import { startUpstreams } from "../src/index.ts"
import type { Expect } from "./support/expect.ts"
import { assertOutcome } from "./support/expect.ts"
import type { CallOptions, Outcome } from "./support/sdks.ts"
import { callAnthropic, callGemini, callOpenAI } from "./support/sdks.ts"

type Mode = "json" | "stream"

const causeCode = (code: string) => (o: Outcome) => {
  const cause = o.error?.cause
  assert.strictEqual(cause?.code ?? cause?.cause?.code, code, `cause of ${String(o.error?.message)}`)
}

const terminated = (code: string, extra?: (o: Outcome) => void): Expect => ({
  cls: TypeError,
  message: /^terminated$/,
  check: (o) => {
    causeCode(code)(o)
    extra?.(o)
  }
})

interface Row {
  readonly name: string
  readonly step: FaultStep
  readonly call?: CallOptions
  /** Status the request log shows. */
  readonly logged: number
  readonly expect: (kind: UpstreamKind, mode: Mode) => Expect
}

const stainless = (kind: UpstreamKind) => (kind === "openai" ? OpenAI : Anthropic)

const ROWS: ReadonlyArray<Row> = [
  {
    name: "latency delays the answer",
    step: { fault: "latency", latencyMs: 150 },
    logged: 200,
    expect: () => ({ check: (o) => assert.isAtLeast(o.elapsedMs, 140) })
  },
  {
    name: "latency past the client's timeout",
    step: { fault: "latency", latencyMs: 2000 },
    call: { timeoutMs: 150 },
    // The client is gone before the answer is due: nothing is sent.
    logged: 0,
    expect: (kind) =>
      kind === "gemini"
        ? { cls: DOMException, name: "AbortError" }
        : { cls: stainless(kind).APIConnectionTimeoutError, message: /timed out/ }
  },
  {
    name: "hang until the client gives up",
    step: { fault: "hang" },
    call: { timeoutMs: 150 },
    logged: 0,
    expect: (kind) =>
      kind === "gemini"
        ? { cls: DOMException, name: "AbortError" }
        : { cls: stainless(kind).APIConnectionTimeoutError, message: /timed out/ }
  },
  {
    name: "connection reset before headers",
    step: { fault: "reset_before_headers" },
    logged: 0,
    expect: (kind) =>
      kind === "gemini"
        ? { cls: TypeError, message: /fetch failed/, check: causeCode("ECONNRESET") }
        : {
            cls: stainless(kind).APIConnectionError,
            message: /Connection error/,
            check: (o) => assert.match(String(o.error.cause?.message), /fetch failed/)
          }
  },
  {
    name: "connection reset after headers",
    step: { fault: "reset_after_headers" },
    logged: 200,
    expect: () => terminated("ECONNRESET")
  },
  {
    name: "stream cut mid-answer",
    step: { fault: "stream_cut", afterChunks: 2 },
    logged: 200,
    expect: (_kind, mode) =>
      terminated("UND_ERR_SOCKET", (o) => {
        if (mode === "stream") assert.strictEqual(o.chunks, 2)
      })
  },
  {
    name: "stall between chunks",
    step: { fault: "stall", stallMs: 400, afterChunks: 1 },
    logged: 200,
    expect: (_kind, mode) => ({
      check: (o) => {
        // Lower bounds with slack: a busy test process may read the first chunk late.
        if (mode === "stream") assert.isAtLeast(o.maxGapMs, 200)
        else assert.isAtLeast(o.elapsedMs, 390)
        assert.isAbove(o.text.length, 0)
      }
    })
  },
  {
    name: "malformed JSON",
    step: { fault: "malformed_json" },
    logged: 200,
    expect: (kind, mode) => ({
      cls: SyntaxError,
      message:
        kind === "openai" && mode === "stream" ? /malformed server-sent event JSON/ : /Expected property name|JSON/
    })
  },
  {
    name: "truncated body",
    step: { fault: "truncated_body" },
    logged: 200,
    expect: (kind, mode) => {
      if (mode === "json") return { cls: SyntaxError, message: /Unterminated|Unexpected end|JSON/ }
      if (kind === "openai") return { cls: SyntaxError, message: /malformed server-sent event JSON/ }
      if (kind === "gemini") return { cls: Error, message: /Incomplete JSON segment at the end/ }
      // Anthropic's SSE decoder drops the partial event: the stream just ends, with no stop reason.
      return { finish: undefined, check: (o) => assert.isAbove(o.chunks, 0) }
    }
  }
]

const CALL = { openai: callOpenAI, anthropic: callAnthropic, gemini: callGemini } as const

describe("transport faults through the official SDKs", () => {
  let upstreams: ReadonlyArray<Upstream>
  beforeAll(async () => {
    upstreams = await startUpstreams([{ kind: "openai" }, { kind: "anthropic" }, { kind: "gemini" }])
  })
  afterAll(() => Promise.all(upstreams.map((u) => u.close())))

  for (const kind of ["openai", "anthropic", "gemini"] as const) {
    for (const row of ROWS) {
      for (const mode of ["json", "stream"] as const) {
        it(`${kind}: ${row.name} (${mode})`, async () => {
          const upstream = upstreams.find((u) => u.kind === kind)!
          upstream.setScript([{ sequence: [row.step] }])
          const o = await CALL[kind](upstream, { ...row.call, stream: mode === "stream" })
          assertOutcome(o, row.expect(kind, mode))
          const logged = upstream.requests.at(-1)!
          assert.strictEqual<unknown>(logged.fault, row.step.fault)
          assert.strictEqual(logged.status, row.logged)
        })
      }
    }
  }

  it("a base latency applies to every answer of the upstream", async () => {
    const [slow] = await startUpstreams([{ kind: "openai", latencyMs: 120 }])
    try {
      const o = await callOpenAI(slow!)
      assertOutcome(o, { finish: "stop", check: (r) => assert.isAtLeast(r.elapsedMs, 110) })
    } finally {
      await slow!.close()
    }
  })
})
