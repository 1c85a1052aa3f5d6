/**
 * Simulated provider upstreams: HTTP servers on loopback that speak the real OpenAI chat
 * completions, Anthropic messages and Gemini `generateContent` wire formats (JSON and
 * SSE), answer with usage, and fail exactly as the providers do when a fault script
 * says so. Point the official SDK at `baseURL` and it cannot tell the difference.
 *
 * @example
 * ```ts
 * import OpenAI from "openai"
 * import { startUpstream } from "@am/simulator"
 *
 * const upstream = await startUpstream({ kind: "openai", script: [{ sequence: [429, "ok"] }] })
 * const client = new OpenAI({ apiKey: "sk-test", baseURL: upstream.baseURL, maxRetries: 0 })
 * await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
 * // → RateLimitError 429 rate_limit_exceeded; the next call answers
 * await upstream.close()
 * ```
 * @since 0.1.0
 */
import type { Scope } from "effect"
import { Effect } from "effect"
import type { FaultName, FaultScript } from "./FaultScript.ts"
import { UpstreamServer } from "./internal/Server.ts"

/**
 * Which provider's wire format an upstream speaks.
 *
 * @example
 * ```ts
 * const kinds: ReadonlyArray<UpstreamKind> = ["openai", "anthropic", "gemini"]
 * ```
 * @since 0.1.0
 */
export type UpstreamKind = "openai" | "anthropic" | "gemini"

/**
 * How to start one simulated upstream.
 *
 * @example
 * ```ts
 * const config: UpstreamConfig = { kind: "openai", models: ["gpt-4o-mini"], keys: ["sk-a"], latencyMs: 20 }
 * ```
 * @since 0.1.0
 */
export interface UpstreamConfig {
  readonly kind: UpstreamKind
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Default `0` (a free port). */
  readonly port?: number
  /** When set, any other model gets the provider's model-not-found error. */
  readonly models?: ReadonlyArray<string>
  /** When set, any other key gets the provider's invalid-key error (Gemini: 400 INVALID_ARGUMENT + API_KEY_INVALID). */
  readonly keys?: ReadonlyArray<string>
  /** The answer text (default mentions the kind and the model). */
  readonly reply?: string
  /** Answer with the last user message's text as sent (`reply` ignored): tests of what comes back. */
  readonly echo?: boolean
  /** Keep each request's raw body in the log (`LoggedRequest.body`): tests of what reached the upstream. */
  readonly logBodies?: boolean
  /** Fast mode: a fixed precomputed answer and minimal parsing (the prompt is not logged) — the bench baseline. */
  readonly fast?: boolean
  /** Base latency before every answer, in milliseconds. */
  readonly latencyMs?: number
  readonly script?: FaultScript
  /** Seed for random fault mixes whose rule gives none (default 0) and for ids. */
  readonly seed?: number
  /** Most log entries kept (default 100 000; the oldest half is dropped when full). */
  readonly maxLog?: number
}

/**
 * One request as the upstream saw it.
 *
 * @example
 * ```ts
 * const keys = upstream.requests.map((r: LoggedRequest) => r.key)
 * ```
 * @since 0.1.0
 */
export interface LoggedRequest {
  /** Epoch milliseconds when the request arrived. */
  readonly at: number
  readonly method: string
  readonly path: string
  readonly model: string | undefined
  /** The API key the request carried (test keys only — this is a test double). */
  readonly key: string | undefined
  readonly stream: boolean
  /** Text of the last user message. */
  readonly prompt: string
  /** The raw request body, when the upstream was started with `logBodies`. */
  readonly body?: string
  /** HTTP status sent; 0 when none was (hang, reset before headers, still pending). */
  readonly status: number
  /** The fault (or bare HTTP status step) that answered it, if any. */
  readonly fault?: FaultName | number
  /** `true` when the client closed the connection before the answer was complete (a cancelled call). */
  readonly clientClosed?: boolean
}

/**
 * A running simulated upstream.
 *
 * @example
 * ```ts
 * const upstream: Upstream = await startUpstream({ kind: "anthropic" })
 * new Anthropic({ apiKey: "sk-ant-test", baseURL: upstream.baseURL, maxRetries: 0 })
 * ```
 * @since 0.1.0
 */
export interface Upstream {
  readonly kind: UpstreamKind
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  /** What to give the official SDK: OpenAI `${origin}/v1`, Anthropic and Gemini `origin`. */
  readonly baseURL: string
  readonly port: number
  readonly requests: ReadonlyArray<LoggedRequest>
  /** Replace the script; its cursors start afresh. */
  setScript(script: FaultScript): void
  /** Clear the request log and the script cursors (and random generators). */
  reset(): void
  close(): Promise<void>
}

/**
 * Start one simulated upstream and resolve once it listens.
 *
 * @example
 * ```ts
 * const gemini = await startUpstream({ kind: "gemini", keys: ["AIza-test"], script: [{ sequence: ["rate_limit"] }] })
 * ```
 * @since 0.1.0
 */
export const startUpstream = async (config: UpstreamConfig): Promise<Upstream> => {
  const server = new UpstreamServer(config)
  const port = await server.listen()
  const host = config.host ?? "127.0.0.1"
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`
  return {
    kind: config.kind,
    origin,
    baseURL: config.kind === "openai" ? `${origin}/v1` : origin,
    port,
    get requests() {
      return server.log as ReadonlyArray<LoggedRequest>
    },
    setScript: (script) => server.runner.set(script),
    reset: () => server.reset(),
    close: () => server.close()
  }
}

/**
 * Start several upstreams at once (closing the started ones if one fails).
 *
 * @example
 * ```ts
 * const [openai, anthropic, gemini] = await startUpstreams([{ kind: "openai" }, { kind: "anthropic" }, { kind: "gemini" }])
 * ```
 * @since 0.1.0
 */
export const startUpstreams = async (configs: ReadonlyArray<UpstreamConfig>): Promise<ReadonlyArray<Upstream>> => {
  const results = await Promise.allSettled(configs.map(startUpstream))
  const failed = results.find((r) => r.status === "rejected")
  if (failed !== undefined) {
    await Promise.all(results.map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)))
    throw (failed as PromiseRejectedResult).reason
  }
  return results.map((r) => (r as PromiseFulfilledResult<Upstream>).value)
}

/**
 * Effect entry points: an upstream that lives as long as the enclosing `Scope`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Upstream } from "@am/simulator"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const upstream = yield* Upstream.scoped({ kind: "anthropic" })
 *     return upstream.baseURL
 *   })
 * )
 * ```
 * @since 0.1.0
 */
export const Upstream = {
  scoped: (config: UpstreamConfig): Effect.Effect<Upstream, never, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.promise(() => startUpstream(config)),
      (u) => Effect.promise(() => u.close())
    ),
  scopedMany: (configs: ReadonlyArray<UpstreamConfig>): Effect.Effect<ReadonlyArray<Upstream>, never, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.promise(() => startUpstreams(configs)),
      (us) => Effect.promise(() => Promise.all(us.map((u) => u.close())).then(() => undefined))
    )
}
