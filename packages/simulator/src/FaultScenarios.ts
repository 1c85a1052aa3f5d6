/**
 * The fault-suite catalogue behind `am faults`: twenty scenario kinds, each a fault script for
 * the simulated primary (an OpenAI upstream) and fallback (an Anthropic upstream), the requests
 * to send through the gateway under test, and what a well-behaved gateway answers.
 *
 * The kinds follow the public LLM-gateway fault benchmark (rate limits, 5xx, overload, silence,
 * resets, malformed output, a stream cut or stalled mid-answer, a stream without `[DONE]`,
 * refusals, dead keys, quotas, retired models, context length, a slow first token, a flapping
 * primary, a fallback that rejects assistant prefill, failover accounting), and a healthy stream
 * that outlasts the per-attempt timeout. A scenario only says
 * what happens upstream and what the client should see; scoring is the runner's.
 *
 * @example
 * ```ts
 * import { FaultScenarios, FAULT_MODELS } from "@am/simulator"
 * for (const s of FaultScenarios) console.log(s.id, s.stream ? "stream" : "json", s.expect)
 * ```
 * @since 0.1.0
 */
import type { FaultScript, Step } from "./FaultScript.ts"

/** Models and keys the fault suite's upstreams serve (a gateway under test must be configured with them). */
export const FAULT_MODELS = {
  primary: ["fault-model", "fault-model-small"],
  fallback: ["claude-fault"]
} as const

/** Keys the fault suite's upstreams accept. */
export const FAULT_KEYS = {
  primary: ["fk-primary-1", "fk-primary-2"],
  fallback: ["fk-fallback-1"]
} as const

/** The answer both upstreams give, long enough to stream in many chunks. */
export const FAULT_REPLY =
  "The fault suite checks that every answer arrives whole: one two three four five six seven eight nine ten eleven twelve."

/**
 * What the client should end with: the whole answer, or (`orError`) an honest error with one of
 * these codes, which is the correct outcome when no candidate can serve the request.
 */
export interface FaultExpectation {
  /** `false`: no candidate can give the whole answer, so only the expected errors pass. */
  readonly answer: boolean
  readonly orError?: ReadonlyArray<string>
  /** An expected error whose message matches this names the wrong cause (e.g. a fallback's prefill 400). */
  readonly notCausedBy?: RegExp
  /** An expected error must name its cause: its message matches this (e.g. the original cut). */
  readonly causedBy?: RegExp
}

/** A primary that is down for `downMs`, then healthy; requests arrive every `everyMs`. */
export interface Flapping {
  readonly downMs: number
  readonly everyMs: number
  /** How long after recovery traffic must be back on the primary. */
  readonly backWithinMs: number
}

/** One scenario of the suite. */
export interface FaultScenario {
  readonly id: string
  readonly title: string
  /** Streamed (`stream: true`) requests or JSON. */
  readonly stream: boolean
  /** Per request (by index, cycled), overriding `stream`: a scenario that mixes streamed and JSON calls. */
  readonly streamed?: ReadonlyArray<boolean>
  /** How many requests the scenario sends (sequentially). */
  readonly requests: number
  readonly primary: FaultScript
  readonly fallback?: FaultScript
  readonly expect: FaultExpectation
  /** The announced Retry-After: no request may reach the same primary key sooner. */
  readonly retryAfterMs?: number
  readonly flapping?: Flapping
  /** Needs engine work not done yet (continuation after the first token): the honest best today is `safe`. */
  readonly needs?: string
  /** A long prompt (for context-length scenarios). */
  readonly longPrompt?: boolean
  /**
   * Failover accounting is checked: `x-am-attempts` against the calls the upstreams saw, the
   * client's usage (streams ask for it with `stream_options.include_usage`) against the ledger
   * entry, and the entry's usage and cost against the sum of its billed attempts.
   */
  readonly accounting?: boolean
}

/** Whether request `i` of `scenario` is streamed. */
export const isStreamed = (scenario: FaultScenario, i: number): boolean =>
  scenario.streamed === undefined || scenario.streamed.length === 0
    ? scenario.stream
    : scenario.streamed[i % scenario.streamed.length]!

const always = (step: Step): FaultScript => [{ sequence: [step], repeat: true }]

/**
 * The scenario kinds: the benchmark's, split where one kind has several faults (429 / 5xx / keys
 * / quotas / retired models), and a slow drip that must not be cut.
 *
 * @example
 * ```ts
 * import { FaultScenarios } from "@am/simulator"
 * FaultScenarios.length // 20
 * ```
 */
export const FaultScenarios: ReadonlyArray<FaultScenario> = [
  {
    id: "rate-limit-retry-after",
    title: "429 with retry-after on each primary key",
    stream: false,
    requests: 3,
    primary: [{ sequence: [{ fault: "rate_limit", retryAfterMs: 2_000 }], perTarget: true }],
    expect: { answer: true },
    retryAfterMs: 2_000
  },
  {
    id: "server-error-500",
    title: "500 on every primary call",
    stream: false,
    requests: 3,
    primary: always(500),
    expect: { answer: true }
  },
  {
    id: "unavailable-503",
    title: "503 on every primary call",
    stream: true,
    requests: 3,
    primary: always(503),
    expect: { answer: true }
  },
  {
    id: "overloaded-529",
    title: "529 overloaded on every primary call",
    stream: false,
    requests: 3,
    primary: always({ fault: "overloaded", status: 529 }),
    expect: { answer: true }
  },
  {
    id: "timeout-hang",
    title: "primary accepts the connection and never answers",
    stream: false,
    requests: 2,
    primary: always("hang"),
    expect: { answer: true }
  },
  {
    id: "connection-reset",
    title: "primary resets the connection before the headers",
    stream: false,
    requests: 3,
    primary: always("reset_before_headers"),
    expect: { answer: true }
  },
  {
    id: "malformed-json",
    title: "one malformed SSE event in the middle of the primary's stream",
    stream: true,
    requests: 2,
    primary: always({ fault: "malformed_json", afterChunks: 3 }),
    expect: { answer: true }
  },
  {
    id: "mid-stream-cut",
    title: "primary's stream cut after three chunks",
    stream: true,
    requests: 2,
    primary: always({ fault: "stream_cut", afterChunks: 3 }),
    expect: { answer: true }
  },
  {
    id: "stall",
    title: "primary's stream stalls for 30 s after three chunks",
    stream: true,
    requests: 2,
    primary: always({ fault: "stall", afterChunks: 3, stallMs: 30_000 }),
    expect: { answer: true }
  },
  {
    id: "no-prefill-fallback",
    title: "primary's stream cut after three chunks; the fallback rejects assistant prefill (400)",
    stream: true,
    requests: 2,
    primary: always({ fault: "stream_cut", afterChunks: 3 }),
    fallback: always({ fault: "ok", rejectsPrefill: true }),
    // The answer cannot be continued: the honest end names the cut, never the fallback's 400.
    expect: {
      answer: false,
      orError: ["stream_interrupted"],
      notCausedBy: /prefill|must end with a user message|invalid_request|\b400\b/i,
      causedBy: /ended without a finish|cut|terminated|closed|reset|socket|network|connection/i
    }
  },
  {
    id: "no-done",
    title: "primary's stream ends cleanly without [DONE]: after three chunks, then after the finish",
    stream: true,
    requests: 2,
    // The first ends before any finish (an answer cut short), the second has the whole answer and
    // its finish but no `[DONE]` — the first must be continued or end in an error, the second is whole.
    primary: [
      {
        sequence: [
          { fault: "truncated_body", afterChunks: 3, cleanEnd: true },
          { fault: "truncated_body", afterChunks: 1_000, cleanEnd: true }
        ],
        repeat: true
      }
    ],
    expect: { answer: true }
  },
  {
    id: "slow-drip",
    title: "a healthy stream, one event every 400 ms, that outlasts the 3 s per-attempt timeout",
    stream: true,
    requests: 1,
    primary: always({ fault: "latency", latencyMs: 0, intervalMs: 400 }),
    expect: { answer: true }
  },
  {
    id: "failover-accounting",
    title: "a stream cut and continued, a stream and a JSON call failed over: attempts, usage and cost per attempt",
    stream: true,
    streamed: [true, true, false],
    requests: 3,
    primary: [{ sequence: [{ fault: "stream_cut", afterChunks: 3 }, 500, 500], repeat: true }],
    expect: { answer: true },
    accounting: true
  },
  {
    id: "content-policy",
    title: "primary filters the first answer (finish_reason content_filter)",
    stream: false,
    requests: 2,
    primary: [{ sequence: ["content_filter"] }],
    expect: { answer: true, orError: ["content_policy"] }
  },
  {
    id: "invalid-key-401",
    title: "the first primary key is invalid (401)",
    stream: false,
    requests: 3,
    primary: [{ match: { key: FAULT_KEYS.primary[0] }, sequence: ["invalid_key"], repeat: true }],
    expect: { answer: true }
  },
  {
    id: "quota-exhausted",
    title: "every primary key's quota is exhausted",
    stream: false,
    requests: 3,
    primary: always("quota_exhausted"),
    expect: { answer: true }
  },
  {
    id: "model-not-found",
    title: "the route's first model is retired (404 model_not_found)",
    stream: false,
    requests: 3,
    primary: [{ match: { model: FAULT_MODELS.primary[0] }, sequence: ["model_not_found"], repeat: true }],
    expect: { answer: true }
  },
  {
    id: "context-length",
    title: "the primary's models reject the prompt as too long",
    stream: false,
    requests: 2,
    primary: always("context_length_exceeded"),
    expect: { answer: true, orError: ["context_length_exceeded"] },
    longPrompt: true
  },
  {
    id: "slow-first-token",
    title: "primary's first token takes 20 s",
    stream: true,
    requests: 2,
    primary: always({ fault: "ok", latencyMs: 20_000 }),
    expect: { answer: true }
  },
  {
    id: "flapping-primary",
    title: "primary down (503) for 6 s, then healthy; a request every 400 ms",
    stream: false,
    requests: 30,
    primary: always(503),
    expect: { answer: true },
    flapping: { downMs: 6_000, everyMs: 400, backWithinMs: 3_000 }
  }
]
