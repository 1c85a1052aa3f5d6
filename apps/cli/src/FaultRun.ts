/**
 * Runs the fault scenarios against an OpenAI-compatible endpoint: scripts the simulated primary
 * and fallback upstreams, sends each scenario's requests as a plain HTTP client would (JSON or
 * SSE, `fetch`, no SDK retries), watches both upstreams' request logs, and scores the scenario.
 *
 * The client is `fetch` rather than the `openai` SDK on purpose: the scorecard must see the wire
 * as it is — a stream that ends without `[DONE]`, an error frame, a short answer under a 200 —
 * which an SDK smooths over.
 */
import type { LedgerEntry, Usage } from "@am/core"
import { FAULT_REPLY, type FaultScenario, isStreamed, type Upstream } from "@am/simulator"
import { Clock, Effect, Schedule } from "effect"
import {
  type ClientResult,
  type ClientUsage,
  type LedgerView,
  type Observations,
  type ScenarioScore,
  scoreScenario
} from "./FaultScore.ts"

/** Where the gateway under test is and how to call it. */
export interface Target {
  /** Base URL ending in `/v1`. */
  readonly baseURL: string
  /** The route (or model) name to send. */
  readonly model: string
  /** Gateway key, if the gateway needs one. */
  readonly apiKey?: string
  /** The runner's own bound on one request (default 60 s). */
  readonly requestTimeoutMs?: number
  /**
   * The gateway's ledger, when the runner can read it (the embedded gateway): the accounting
   * checks compare each request's entry with what the client and the upstreams saw.
   */
  readonly ledger?: Ledger
}

/** Reads the gateway's ledger entry of a request, and prices an attempt as the gateway does. */
export interface Ledger {
  readonly byRequestId: (requestId: string) => Effect.Effect<LedgerEntry | undefined>
  readonly cost: (provider: string, model: string, usage: Usage) => number | undefined
}

export interface FaultUpstreams {
  readonly primary: Upstream
  readonly fallback: Upstream
}

// Long, yet within every configured window: the upstream's own context-length error is what is tested.
const LONG_PROMPT = "Summarise this. ".repeat(300)

const clientUsage = (u: unknown): ClientUsage | undefined => {
  const o = u as { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } | null | undefined
  return typeof o?.prompt_tokens === "number" && typeof o.completion_tokens === "number"
    ? {
        promptTokens: o.prompt_tokens,
        completionTokens: o.completion_tokens,
        totalTokens: typeof o.total_tokens === "number" ? o.total_tokens : o.prompt_tokens + o.completion_tokens
      }
    : undefined
}

const readStream = async (response: Response): Promise<Omit<ClientResult, "startedAt" | "status">> => {
  let text = ""
  let usage: ClientUsage | undefined
  let finishReason: string | undefined
  let errorCode: string | undefined
  let errorMessage: string | undefined
  let done = false
  const decoder = new TextDecoder()
  let buffer = ""
  const onData = (data: string) => {
    if (data === "[DONE]") {
      done = true
      return
    }
    try {
      const event = JSON.parse(data) as {
        error?: { code?: string; type?: string; message?: string }
        choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>
        usage?: unknown
      }
      usage = clientUsage(event.usage) ?? usage
      if (event.error !== undefined) {
        errorCode = event.error.code ?? event.error.type ?? "error"
        if (typeof event.error.message === "string") errorMessage = event.error.message
      }
      for (const c of event.choices ?? []) {
        if (typeof c.delta?.content === "string") text += c.delta.content
        if (typeof c.finish_reason === "string") finishReason = c.finish_reason
      }
    } catch {
      errorCode = errorCode ?? "malformed_event"
    }
  }
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let nl = buffer.indexOf("\n")
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim()
        buffer = buffer.slice(nl + 1)
        if (line.startsWith("data:")) onData(line.slice(5).trim())
        nl = buffer.indexOf("\n")
      }
    }
  } catch {
    // The connection dropped mid-stream: what arrived is all the client has.
    return {
      text,
      done,
      ...(usage !== undefined ? { usage } : {}),
      ...(finishReason ? { finishReason } : {}),
      errorCode: errorCode ?? "connection_lost",
      ...(errorMessage !== undefined ? { errorMessage } : {})
    }
  }
  return {
    text,
    done,
    ...(usage !== undefined ? { usage } : {}),
    ...(finishReason ? { finishReason } : {}),
    ...(errorCode ? { errorCode } : {}),
    ...(errorMessage !== undefined ? { errorMessage } : {})
  }
}

/**
 * One request through the gateway, reduced to what the scorecard needs; `atHeaders` runs when the
 * response headers arrive (the runner counts the upstream calls made by then).
 */
export const send = (
  target: Target,
  scenario: FaultScenario,
  stream: boolean = scenario.stream,
  atHeaders: () => number = () => 0
): Effect.Effect<ClientResult> =>
  Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
    Effect.promise(async (): Promise<ClientResult> => {
      try {
        const response = await fetch(`${target.baseURL}/chat/completions`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(target.apiKey !== undefined ? { authorization: `Bearer ${target.apiKey}` } : {})
          },
          body: JSON.stringify({
            model: target.model,
            stream,
            // The accounting scenario reads the usage a stream reports in its last chunk.
            ...(stream && scenario.accounting === true ? { stream_options: { include_usage: true } } : {}),
            messages: [{ role: "user", content: scenario.longPrompt ? LONG_PROMPT : `fault suite: ${scenario.id}` }]
          }),
          signal: AbortSignal.timeout(target.requestTimeoutMs ?? 60_000)
        })
        const callsAtHeaders = atHeaders()
        const attempts = Number(response.headers.get("x-am-attempts") ?? Number.NaN)
        const requestId = response.headers.get("x-request-id") ?? undefined
        const common = {
          startedAt,
          status: response.status,
          callsAtHeaders,
          ...(Number.isFinite(attempts) ? { attempts } : {}),
          ...(requestId !== undefined ? { requestId } : {})
        }
        if (response.status === 200 && stream) return { ...common, ...(await readStream(response)) }
        const body = (await response.json().catch(() => ({}))) as {
          error?: { code?: string; type?: string; message?: string }
          choices?: Array<{ message?: { content?: string | null }; finish_reason?: string }>
          usage?: unknown
        }
        if (response.status !== 200 || body.error !== undefined) {
          return {
            ...common,
            text: "",
            errorCode: body.error?.code ?? body.error?.type ?? `http_${response.status}`,
            ...(typeof body.error?.message === "string" ? { errorMessage: body.error.message } : {})
          }
        }
        const choice = body.choices?.[0]
        const usage = clientUsage(body.usage)
        return {
          ...common,
          ...(usage !== undefined ? { usage } : {}),
          text: choice?.message?.content ?? "",
          ...(choice?.finish_reason !== undefined ? { finishReason: choice.finish_reason } : {})
        }
      } catch (e) {
        return { startedAt, status: 0, text: "", transportError: e instanceof Error ? e.message : String(e) }
      }
    })
  )

const servedOk = (u: Upstream) => u.requests.filter((r) => r.status === 200).length

const callsOf = (upstreams: FaultUpstreams) => upstreams.primary.requests.length + upstreams.fallback.requests.length

// The ledger entry is written as the request ends, which for a stream may be just after the
// client read its last byte: read it until it is there (bounded).
const entryOf = (ledger: Ledger, requestId: string) =>
  ledger.byRequestId(requestId).pipe(
    Effect.flatMap((e) => (e === undefined ? Effect.fail("absent" as const) : Effect.succeed(e))),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 100 }),
    Effect.orElseSucceed(() => undefined)
  )

const ledgerView = (ledger: Ledger, e: LedgerEntry): LedgerView => {
  const priced = e.attempts
    .filter((a) => a.usage !== undefined)
    .map((a) => ledger.cost(a.provider, a.model, a.usage!))
    .filter((c): c is number => c !== undefined)
  return {
    apiCalls: e.apiCalls,
    calls: e.attempts.filter((a) => a.outcome !== "skipped").length,
    billed: e.attempts.filter((a) => a.usage !== undefined).map((a) => a.usage!),
    ...(e.usage !== undefined ? { usage: e.usage } : {}),
    ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
    ...(priced.length > 0 ? { pricedCostUsd: priced.reduce((a, b) => a + b, 0) } : {}),
    ...(e.stream?.segments !== undefined
      ? { segments: e.stream.segments.map((s) => ({ outputChars: s.outputChars, cut: s.cut !== undefined })) }
      : {})
  }
}

/**
 * One request, noting which upstream answered it and how many upstream calls it caused (from the
 * upstreams' logs, so any gateway works), and its ledger entry when the ledger is readable.
 */
const sendObserved = (target: Target, scenario: FaultScenario, upstreams: FaultUpstreams, i: number) =>
  Effect.gen(function* () {
    const before = [servedOk(upstreams.primary), servedOk(upstreams.fallback)] as const
    const callsBefore = callsOf(upstreams)
    const result = yield* send(target, scenario, isStreamed(scenario, i), () => callsOf(upstreams) - callsBefore)
    const calls = callsOf(upstreams) - callsBefore
    const provider =
      servedOk(upstreams.primary) > before[0]
        ? "primary"
        : servedOk(upstreams.fallback) > before[1]
          ? "fallback"
          : undefined
    const entry =
      scenario.accounting === true && target.ledger !== undefined && result.requestId !== undefined
        ? yield* entryOf(target.ledger, result.requestId)
        : undefined
    return {
      ...result,
      calls,
      ...(provider !== undefined ? { provider } : {}),
      ...(target.ledger !== undefined && scenario.accounting === true
        ? { ledger: entry === undefined ? null : ledgerView(target.ledger, entry) }
        : {})
    } satisfies ClientResult
  })

const alive = (target: Target, upstreams: FaultUpstreams) =>
  Effect.gen(function* () {
    upstreams.primary.setScript([])
    upstreams.fallback.setScript([])
    const r = yield* send(target, { id: "alive-after", stream: false } as FaultScenario, false)
    return r.status === 200 && r.text === FAULT_REPLY
  })

/**
 * Runs one scenario: script the upstreams, send its requests in order (on the flapping schedule
 * when it has one), check the gateway still answers, and score it.
 */
export const runScenario = (
  target: Target,
  upstreams: FaultUpstreams,
  scenario: FaultScenario
): Effect.Effect<ScenarioScore> =>
  Effect.gen(function* () {
    upstreams.primary.reset()
    upstreams.fallback.reset()
    upstreams.primary.setScript(scenario.primary)
    upstreams.fallback.setScript(scenario.fallback ?? [])
    const results: Array<ClientResult> = []
    let recoveredAt: number | undefined
    const flapping = scenario.flapping
    const began = yield* Clock.currentTimeMillis
    for (let i = 0; i < scenario.requests; i++) {
      if (flapping !== undefined) {
        const due = began + i * flapping.everyMs
        const now = yield* Clock.currentTimeMillis
        if (due > now) yield* Effect.sleep(due - now)
        if (recoveredAt === undefined && (yield* Clock.currentTimeMillis) - began >= flapping.downMs) {
          upstreams.primary.setScript([])
          recoveredAt = yield* Clock.currentTimeMillis
        }
      }
      results.push(yield* sendObserved(target, scenario, upstreams, i))
    }
    const observations: Observations = {
      results,
      primary: [...upstreams.primary.requests],
      fallback: [...upstreams.fallback.requests],
      aliveAfter: false,
      ...(recoveredAt !== undefined ? { recoveredAt } : {})
    }
    const aliveAfter = yield* alive(target, upstreams)
    return scoreScenario(scenario, { ...observations, aliveAfter })
  })
