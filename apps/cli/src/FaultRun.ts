/**
 * Runs the fault scenarios against an OpenAI-compatible endpoint: scripts the simulated primary
 * and fallback upstreams, sends each scenario's requests as a plain HTTP client would (JSON or
 * SSE, `fetch`, no SDK retries), watches both upstreams' request logs, and scores the scenario.
 *
 * The client is `fetch` rather than the `openai` SDK on purpose: the scorecard must see the wire
 * as it is — a stream that ends without `[DONE]`, an error frame, a short answer under a 200 —
 * which an SDK smooths over.
 */
import { FAULT_REPLY, type FaultScenario, type Upstream } from "@am/simulator"
import { Clock, Effect } from "effect"
import { type ClientResult, type Observations, type ScenarioScore, scoreScenario } from "./FaultScore.ts"

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
}

export interface FaultUpstreams {
  readonly primary: Upstream
  readonly fallback: Upstream
}

// Long, yet within every configured window: the upstream's own context-length error is what is tested.
const LONG_PROMPT = "Summarise this. ".repeat(300)

const readStream = async (response: Response): Promise<Omit<ClientResult, "startedAt" | "status">> => {
  let text = ""
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
      }
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
      ...(finishReason ? { finishReason } : {}),
      errorCode: errorCode ?? "connection_lost",
      ...(errorMessage !== undefined ? { errorMessage } : {})
    }
  }
  return {
    text,
    done,
    ...(finishReason ? { finishReason } : {}),
    ...(errorCode ? { errorCode } : {}),
    ...(errorMessage !== undefined ? { errorMessage } : {})
  }
}

/** One request through the gateway, reduced to what the scorecard needs. */
export const send = (target: Target, scenario: FaultScenario): Effect.Effect<ClientResult> =>
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
            stream: scenario.stream,
            messages: [{ role: "user", content: scenario.longPrompt ? LONG_PROMPT : `fault suite: ${scenario.id}` }]
          }),
          signal: AbortSignal.timeout(target.requestTimeoutMs ?? 60_000)
        })
        const attempts = Number(response.headers.get("x-am-attempts") ?? Number.NaN)
        const common = { startedAt, status: response.status, ...(Number.isFinite(attempts) ? { attempts } : {}) }
        if (response.status === 200 && scenario.stream) return { ...common, ...(await readStream(response)) }
        const body = (await response.json().catch(() => ({}))) as {
          error?: { code?: string; type?: string; message?: string }
          choices?: Array<{ message?: { content?: string | null }; finish_reason?: string }>
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
        return {
          ...common,
          text: choice?.message?.content ?? "",
          ...(choice?.finish_reason !== undefined ? { finishReason: choice.finish_reason } : {})
        }
      } catch (e) {
        return { startedAt, status: 0, text: "", transportError: e instanceof Error ? e.message : String(e) }
      }
    })
  )

const servedOk = (u: Upstream) => u.requests.filter((r) => r.status === 200).length

/** One request, noting which upstream answered it (from the upstreams' logs, so any gateway works). */
const sendObserved = (target: Target, scenario: FaultScenario, upstreams: FaultUpstreams) =>
  Effect.gen(function* () {
    const before = [servedOk(upstreams.primary), servedOk(upstreams.fallback)] as const
    const result = yield* send(target, scenario)
    const provider =
      servedOk(upstreams.primary) > before[0]
        ? "primary"
        : servedOk(upstreams.fallback) > before[1]
          ? "fallback"
          : undefined
    return { ...result, ...(provider !== undefined ? { provider } : {}) } satisfies ClientResult
  })

const alive = (target: Target, upstreams: FaultUpstreams) =>
  Effect.gen(function* () {
    upstreams.primary.setScript([])
    upstreams.fallback.setScript([])
    const r = yield* send(target, { id: "alive-after", stream: false } as FaultScenario)
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
      results.push(yield* sendObserved(target, scenario, upstreams))
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
