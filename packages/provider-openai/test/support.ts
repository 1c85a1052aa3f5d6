import type { CompletionChunk, CompletionRequest, Provider, ProviderFailure } from "@am/core"
import { ApiKey } from "@am/core"
import { Effect, Redacted, Stream } from "effect"
import OpenAI, { type ClientOptions } from "openai"
import { make, type OpenAIAdapterConfig } from "../src/index.ts"

export const SECRET_1 = "sk-proj-testkitSecretOne0000111122223333"
export const SECRET_2 = "sk-proj-testkitSecretTwo4444555566667777"
export const key1 = ApiKey.make("k1", Redacted.make(SECRET_1))
export const key2 = ApiKey.make("k2", Redacted.make(SECRET_2))

export const request: CompletionRequest = { messages: [{ role: "user", content: "Say hi" }] }

/** A provider whose SDK clients are built through a spy: every construction and every fetch is recorded. */
export const spied = (config: OpenAIAdapterConfig) => {
  const constructions: Array<ClientOptions> = []
  const signals: Array<AbortSignal> = []
  const responses: Array<Response> = []
  const provider = make({
    ...config,
    clientFactory: (options) => {
      constructions.push(options)
      const inner = options.fetch ?? fetch
      const spyFetch: typeof fetch = (input, init) => {
        if (init?.signal != null) signals.push(init.signal)
        return inner(input, init).then((response) => {
          responses.push(response)
          return response
        })
      }
      return new OpenAI({ ...options, fetch: spyFetch })
    }
  })
  return { provider, constructions, signals, responses }
}

/** Runs a call to its failure (the test fails if it succeeds). */
export const failureOf = (provider: Provider, model = "gpt-4o", timeoutMs?: number) =>
  Effect.flip(provider.complete({ request, model, key: key1, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }))

export const streamFailureOf = (provider: Provider, model = "gpt-4o", timeoutMs?: number) =>
  Effect.flip(
    Stream.runCollect(provider.stream({ request, model, key: key1, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }))
  )

export const collect = (stream: Stream.Stream<CompletionChunk, ProviderFailure>) => Stream.runCollect(stream)

/** Waits (yielding to the event loop, no timers) until `check` holds; fails the test after `limitMs`. */
export const until = (check: () => boolean, limitMs = 5000) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now()
        const tick = () => {
          if (check()) return resolve()
          if (Date.now() - started > limitMs) return reject(new Error("condition not reached"))
          setImmediate(tick)
        }
        tick()
      })
  )
