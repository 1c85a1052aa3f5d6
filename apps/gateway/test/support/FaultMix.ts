/**
 * Issue 12's fault-mix line, shared by the single-gateway (SQLite) and the two-replica
 * (Postgres + Redis) tests: a seeded plan of 1,000 chat requests (700 distinct
 * `(workspace, Idempotency-Key)` slots, the same key names in two workspaces, and 300 repeats,
 * 15 % streamed), sent `CONCURRENCY` at a time, and the checks on what the upstream saw.
 */
import type { Upstream } from "@am/testkit"
import { expect } from "vitest"
import { GATEWAY_KEY, OTHER_KEY } from "./Harness.ts"

export const DISTINCT = 700
export const REPEATS = 300
export const CONCURRENCY = 16
export const WORKSPACES = { "team-a": GATEWAY_KEY, "team-b": OTHER_KEY } as const
export type Workspace = keyof typeof WORKSPACES

/** mulberry32: a small seeded generator, so the request plan is the same every run. */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export interface Slot {
  readonly workspace: Workspace
  readonly key: string
  readonly prompt: string
  readonly stream: boolean
}

export interface Request {
  readonly slot: Slot
  /** Which gateway it is sent to (an index into the list the test passes to `sendAll`). */
  readonly gateway: number
}

export interface Answer {
  readonly request: Request
  readonly status: number
  readonly code: string | null
  readonly requestId: string | null
  readonly replay: boolean
}

/** `DISTINCT` slots (half per workspace, the same key names in both), then `REPEATS` repeats, shuffled; each to one of `gateways`. */
export const plan = (seed: number, keyPrefix: string, gateways = 1): ReadonlyArray<Request> => {
  const random = prng(seed)
  const slots: Array<Slot> = []
  for (let i = 0; i < DISTINCT; i++) {
    const workspace: Workspace = i % 2 === 0 ? "team-a" : "team-b"
    const key = `${keyPrefix}${Math.floor(i / 2)}`
    slots.push({ workspace, key, prompt: `${workspace} ${key}`, stream: random() < 0.15 })
  }
  const requests = [...slots]
  for (let i = 0; i < REPEATS; i++) requests.push(slots[Math.floor(random() * slots.length)]!)
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[requests[i], requests[j]] = [requests[j]!, requests[i]!]
  }
  return requests.map((slot) => ({ slot, gateway: Math.floor(random() * gateways) }))
}

const send = async (url: string, request: Request): Promise<Answer> => {
  const { slot } = request
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${WORKSPACES[slot.workspace]}`,
      "idempotency-key": slot.key
    },
    body: JSON.stringify({
      model: "default",
      messages: [{ role: "user", content: slot.prompt }],
      ...(slot.stream ? { stream: true } : {})
    })
  })
  const text = await response.text()
  // A streamed answer committed only after its first token: a 200 stream here is a whole answer.
  if (response.status === 200 && slot.stream) expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true)
  let code: string | null = null
  if (response.status !== 200) {
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null
    } catch {
      code = null
    }
  }
  return {
    request,
    status: response.status,
    code,
    requestId: response.headers.get("x-am-request-id"),
    replay: response.headers.get("x-am-idempotent-replay") === "true"
  }
}

/** Sends the plan, `CONCURRENCY` at a time, each request to its gateway's url. */
export const sendAll = async (
  urls: ReadonlyArray<string>,
  requests: ReadonlyArray<Request>
): Promise<ReadonlyArray<Answer>> => {
  const answers: Array<Answer> = []
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!
        answers.push(await send(urls[request.gateway]!, request))
      }
    })
  )
  return answers
}

export const slotId = (s: Slot) => `${s.workspace}\u0000${s.key}`

export interface UpstreamFigures {
  readonly answeredBy: ReadonlyMap<string, string>
  readonly replays: ReadonlyArray<Answer>
  readonly accepted: ReadonlyArray<Answer>
  readonly calls: number
  readonly failedCalls: number
  readonly statuses: Readonly<Record<string, number>>
}

/**
 * The checks on the answers and on the upstream: each key answered fresh at most once, every
 * replay carrying that answer's request id, and upstream calls = keys answered + failed calls.
 */
export const checkAnswersAndUpstream = (
  requests: ReadonlyArray<Request>,
  answers: ReadonlyArray<Answer>,
  upstream: Upstream
): UpstreamFigures => {
  expect(answers.length).toBe(requests.length)
  const statuses: Record<string, number> = {}
  for (const a of answers) {
    const name = a.code === null ? String(a.status) : `${a.status} ${a.code}`
    statuses[name] = (statuses[name] ?? 0) + 1
  }
  // Answered, replayed, in flight elsewhere, or failed by the engine — nothing else.
  for (const a of answers) expect([200, 409, 502, 503, 504], JSON.stringify(statuses)).toContain(a.status)
  // A 503 is the engine's (all candidates failed), never the idempotency store being unavailable.
  expect(answers.filter((a) => a.code === "idempotency_unavailable")).toEqual([])

  const answeredBy = new Map<string, string>()
  for (const a of answers.filter((a) => a.status === 200 && !a.replay)) {
    expect(answeredBy.has(slotId(a.request.slot)), `${slotId(a.request.slot)} answered twice`).toBe(false)
    answeredBy.set(slotId(a.request.slot), a.requestId!)
  }
  const replays = answers.filter((a) => a.replay)
  for (const r of replays) expect(r.requestId).toBe(answeredBy.get(slotId(r.request.slot)))

  // Upstream: one answered call per key that succeeded, and otherwise only failed calls.
  const log = upstream.requests.filter((r) => r.path.endsWith("/chat/completions"))
  const answeredCalls = new Map<string, number>()
  for (const r of log.filter((r) => r.fault === undefined && r.status === 200)) {
    answeredCalls.set(r.prompt, (answeredCalls.get(r.prompt) ?? 0) + 1)
  }
  const failedCalls = log.filter((r) => r.fault !== undefined).length
  for (const [prompt, n] of answeredCalls) expect(n, prompt).toBe(1)
  expect(new Set(answeredCalls.keys())).toEqual(
    new Set(requests.filter((r) => answeredBy.has(slotId(r.slot))).map((r) => r.slot.prompt))
  )
  expect(log.length).toBe(answeredBy.size + failedCalls)
  // The mix did what it is for: failures, engine retries, client retries after a 5xx, replays.
  expect(failedCalls).toBeGreaterThan(100)
  expect(replays.length).toBeGreaterThan(50)
  return {
    answeredBy,
    replays,
    accepted: answers.filter((a) => a.status !== 409),
    calls: log.length,
    failedCalls,
    statuses
  }
}
