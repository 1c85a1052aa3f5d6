import { ApiKey, type CompletionRequest, type Provider, type ProviderCall } from "@am/core"
import { type Upstream as UpstreamShape, Upstream, type UpstreamConfig } from "@am/testkit"
import { Effect, Redacted, type Scope } from "effect"
import { type GeminiConfig, make } from "../src/index.ts"

/** Test keys shaped like real Gemini keys, so the sanitiser's pattern and the exact-match scrub both apply. */
export const SECRET_A = "AIzaSyA-testkey-aaaaaaaaaaaaaaaaaaaaaaaa"
export const SECRET_B = "AIzaSyB-testkey-bbbbbbbbbbbbbbbbbbbbbbbb"
export const keyA = ApiKey.make("key-a", Redacted.make(SECRET_A))
export const keyB = ApiKey.make("key-b", Redacted.make(SECRET_B))

export const MODEL = "gemini-2.5-flash"

export const hello: CompletionRequest = { messages: [{ role: "user", content: "Say hello" }] }

export const call = (overrides: Partial<ProviderCall> = {}): ProviderCall => ({
  request: hello,
  model: MODEL,
  key: keyA,
  ...overrides
})

/** A fake Gemini upstream for the scope, and the real adapter pointed at it. */
export const gemini = (
  upstream: Omit<UpstreamConfig, "kind"> = {},
  adapter: Partial<GeminiConfig> = {}
): Effect.Effect<{ readonly upstream: UpstreamShape; readonly provider: Provider }, never, Scope.Scope> =>
  Effect.map(Upstream.scoped({ kind: "gemini", keys: [SECRET_A, SECRET_B], ...upstream }), (u) => ({
    upstream: u,
    provider: make({ id: "primary", baseURL: u.baseURL, ...adapter })
  }))
