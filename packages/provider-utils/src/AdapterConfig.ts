/**
 * The configuration every provider adapter takes, the one timeout rule they all apply, and the
 * HTTP client they hand their SDK. One definition, so `@am/runtime` can build any adapter from
 * the same `{ id, kind, baseURL, headers, timeoutMs }` and every field means the same in each.
 *
 * @example
 * ```ts
 * import { type AdapterConfig, timeoutFor } from "@am/provider-utils"
 * const config: AdapterConfig<"anthropic"> = { id: "secondary", timeoutMs: 30_000 }
 * timeoutFor(undefined, config.timeoutMs) // 30000
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import { sharedFetchWith } from "@am/transport"
import { markConnectTimeouts } from "./ConnectTimeout.ts"
import { tolerantEventStreams } from "./TolerantEventStream.ts"

/**
 * What every adapter is configured with. `Options` and `Client` are the SDK's client options and
 * client class; they type the {@link AdapterConfig.clientFactory} seam.
 */
export interface AdapterConfig<Kind extends ProviderKind = ProviderKind, Options = never, Client = unknown> {
  /** The configured provider id, e.g. `primary`. */
  readonly id: string
  /**
   * The provider kind the adapter reports. Only the OpenAI adapter serves two (`openai`,
   * `openai-compatible`); the others have one, so it may be left out.
   */
  readonly kind?: Kind
  /** The API's base URL (a proxy, a compatible server, a test upstream); the SDK's default otherwise. */
  readonly baseURL?: string
  /** Extra headers sent with every request (gateway auth, organisation headers, …). */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * Per-call timeout when `ProviderCall.timeoutMs` is absent; default {@link DEFAULT_TIMEOUT_MS}.
   * A non-streamed call is bounded by it whole; a stream only on silence (to the headers, to the
   * first chunk, between chunks) — never on its length, so a healthy long stream is never cut.
   */
  readonly timeoutMs?: number
  /**
   * TCP + TLS handshake limit for this provider's pooled connections (`@am/transport`'s
   * `sharedFetchWith`); default the shared pool's (10 000 ms). Ignored with a custom `fetch`,
   * which owns its connections.
   */
  readonly connectTimeoutMs?: number
  /**
   * The HTTP client the SDK uses. Default: `@am/transport`'s `sharedFetch` (undici keep-alive
   * pools shared by every adapter in the process); `globalThis.fetch` opts out.
   */
  readonly fetch?: typeof globalThis.fetch
  /**
   * Builds the SDK client for one key from the options the adapter chose (`maxRetries: 0`, the
   * key's secret, `fetch`, …). Default: the SDK's constructor. The seam for instrumentation and
   * for tests that count or observe client constructions; keep the options' retry settings.
   */
  readonly clientFactory?: (options: Options) => Client
}

/**
 * The per-call timeout when neither the call nor the config names one. The engine always
 * passes the attempt's time left; this bounds direct library use, so a silent upstream never
 * holds a fiber forever.
 */
export const DEFAULT_TIMEOUT_MS = 60_000

/**
 * The one timeout rule of the adapters: the call's `timeoutMs`, else the config's, else
 * {@link DEFAULT_TIMEOUT_MS}, as a positive whole number of milliseconds (the SDKs reject
 * fractions and 0, and the engine hands over a fractional "time left").
 *
 * @example
 * ```ts
 * import { timeoutFor } from "@am/provider-utils"
 * timeoutFor(1234.2, 30_000) // 1235
 * timeoutFor(undefined, 30_000) // 30000
 * timeoutFor(undefined, undefined) // 60000
 * timeoutFor(0, undefined) // 1
 * ```
 */
export const timeoutFor = (callTimeoutMs: number | undefined, configTimeoutMs: number | undefined): number =>
  Math.max(1, Math.ceil(callTimeoutMs ?? configTimeoutMs ?? DEFAULT_TIMEOUT_MS))

/**
 * The `fetch` an adapter hands its SDK: the configured one, else the pooled `sharedFetch` (with
 * the config's `connectTimeoutMs`, a pool of that connect timeout). With the adapter's `id`, its
 * event streams skip an unparsable SSE event instead of ending (`tolerantEventStreams`) and its
 * connect timeouts reject as `ConnectTimeoutFailed` (see `ConnectTimeout.ts`).
 *
 * @example
 * ```ts
 * import { fetchOf } from "@am/provider-utils"
 * const fetch = fetchOf({}) // @am/transport's sharedFetch
 * const plain = fetchOf({ fetch: globalThis.fetch }) // opted out of the pool
 * const adapter = fetchOf({ id: "primary", connectTimeoutMs: 2_000 }) // what the adapters use
 * ```
 */
export const fetchOf = (config: {
  readonly id?: string | undefined
  readonly fetch?: typeof globalThis.fetch | undefined
  readonly connectTimeoutMs?: number | undefined
}): typeof globalThis.fetch => {
  const base = config.fetch ?? sharedFetchWith({ connectTimeoutMs: config.connectTimeoutMs })
  return config.id === undefined ? base : tolerantEventStreams(markConnectTimeouts(base), { label: config.id })
}

/**
 * The configured client factory, else the SDK's constructor.
 *
 * @example
 * ```ts
 * import { clientFactoryOf } from "@am/provider-utils"
 * class Sdk { constructor(readonly options: { apiKey: string }) {} }
 * const build = clientFactoryOf<{ apiKey: string }, Sdk>({}, (o) => new Sdk(o))
 * build({ apiKey: "k" }) // a Sdk
 * ```
 */
export const clientFactoryOf = <Options, Client>(
  config: { readonly clientFactory?: ((options: Options) => Client) | undefined },
  construct: (options: Options) => Client
): ((options: Options) => Client) => config.clientFactory ?? construct
