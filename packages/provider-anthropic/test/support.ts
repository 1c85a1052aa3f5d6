/**
 * Test harness: the real adapter and the real SDK against a `@am/testkit` fake Anthropic upstream.
 * The only seam is `clientFactory`, which counts constructions and wraps the adapter's `fetch`
 * (`@am/transport`'s pooled one by default) to observe (not alter) each request's abort signal and
 * the moment its headers arrive.
 */
import { ApiKey, type CompletionRequest, type Provider, type ProviderCall } from "@am/core"
import { make } from "@am/provider-anthropic"
import { type FaultScript, Upstream } from "@am/testkit"
import Anthropic from "@anthropic-ai/sdk"
import { Effect, Redacted, type Scope } from "effect"

export const SECRET_A = "sk-ant-api03-TESTKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
export const SECRET_B = "sk-ant-api03-TESTKEYbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
export const keyA = ApiKey.make("anthropic-a", Redacted.make(SECRET_A))
export const keyB = ApiKey.make("anthropic-b", Redacted.make(SECRET_B))

export const MODEL = "claude-haiku-4-5"
export const REPLY = "Bonjour from the fake Anthropic upstream."

export interface FetchCall {
  readonly signal: AbortSignal | undefined
  /** Resolves when the response headers arrive (rejects when the fetch fails). */
  readonly headers: Promise<Response>
}

export interface Harness {
  readonly upstream: Upstream
  readonly provider: Provider
  /** SDK clients constructed so far. */
  readonly clientsCreated: () => number
  readonly fetches: ReadonlyArray<FetchCall>
  /** Resolves with the `n`-th fetch (0-based) once it has started. */
  readonly fetchStarted: (n: number) => Promise<FetchCall>
}

export const harness = (options: {
  readonly script?: FaultScript
  readonly timeoutMs?: number
}): Effect.Effect<Harness, never, Scope.Scope> =>
  Effect.gen(function* () {
    const upstream = yield* Upstream.scoped({
      kind: "anthropic",
      keys: [SECRET_A, SECRET_B],
      reply: REPLY,
      ...(options.script !== undefined ? { script: options.script } : {})
    })
    let created = 0
    const fetches: Array<FetchCall> = []
    const waiters: Array<{ n: number; resolve: (c: FetchCall) => void }> = []
    let inner: typeof fetch = fetch
    const observingFetch: typeof fetch = (input, init) => {
      const headers = inner(input, init)
      headers.catch(() => undefined)
      const call = { signal: init?.signal ?? undefined, headers }
      fetches.push(call)
      for (const w of waiters.filter((w) => w.n === fetches.length - 1)) w.resolve(call)
      return headers
    }
    const provider = make({
      id: "secondary",
      baseURL: upstream.baseURL,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      clientFactory: (clientOptions) => {
        created++
        inner = clientOptions.fetch ?? fetch
        return new Anthropic({ ...clientOptions, fetch: observingFetch })
      }
    })
    return {
      upstream,
      provider,
      clientsCreated: () => created,
      fetches,
      fetchStarted: (n) =>
        fetches[n] !== undefined
          ? Promise.resolve(fetches[n]!)
          : new Promise<FetchCall>((resolve) => waiters.push({ n, resolve }))
    }
  })

export const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Say hello in French." }
  ],
  ...over
})

export const call = (over: Partial<ProviderCall> = {}): ProviderCall => ({
  request: request(),
  model: MODEL,
  key: keyA,
  ...over
})
