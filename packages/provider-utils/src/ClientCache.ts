/**
 * One SDK client per API key, built on first use and reused: a client per request would pay the
 * SDK's construction and lose its connection reuse on every call.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { makeClientCache } from "@am/provider-utils"
 * import { Redacted } from "effect"
 * const clients = makeClientCache((key) => ({ secret: Redacted.value(key.secret) }))
 * const key = ApiKey.make("k1", Redacted.make("sk-test"))
 * clients.get(key) === clients.get(key) // true
 * ```
 * @since 0.1.0
 */
import type { ApiKey } from "@am/core"

/** The SDK clients of one adapter, by key. */
export interface ClientCache<Client> {
  /** The client for `key`: the cached one, or a new one when the key is new or its secret changed. */
  readonly get: (key: ApiKey) => Client
  /** How many clients are cached (one per key id). */
  readonly size: () => number
}

/**
 * A per-key client cache. Clients are cached by key id; the same id with a new fingerprint (a
 * rotated secret) gets a new client, which replaces the old one, so a pool never grows with
 * rotations. `build` is the one place an adapter unwraps a key's secret.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { makeClientCache } from "@am/provider-utils"
 * import { Redacted } from "effect"
 * import OpenAI from "openai"
 * const clients = makeClientCache((key) => new OpenAI({ apiKey: Redacted.value(key.secret), maxRetries: 0 }))
 * const client = clients.get(ApiKey.make("k1", Redacted.make("sk-test")))
 * ```
 */
export const makeClientCache = <Client>(build: (key: ApiKey) => Client): ClientCache<Client> => {
  const clients = new Map<string, { readonly fingerprint: string; readonly client: Client }>()
  return {
    get: (key) => {
      const cached = clients.get(key.id)
      if (cached !== undefined && cached.fingerprint === key.fingerprint) return cached.client
      const client = build(key)
      clients.set(key.id, { fingerprint: key.fingerprint, client })
      return client
    },
    size: () => clients.size
  }
}
