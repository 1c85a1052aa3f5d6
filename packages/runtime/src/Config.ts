/**
 * The engine's configuration: the `am.config.json` contract of DESIGN.md, environment
 * overrides (environment wins), `env:NAME` secret references held as `Redacted`, and
 * validation that fails closed at start with the path of the bad field.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@am/runtime"
 * import { Effect } from "effect"
 * const config = Effect.runSync(loadConfig({
 *   providers: { primary: { kind: "openai", keys: [{ id: "k1", secret: "env:OPENAI_KEY" }], models: [{ name: "gpt-4o" }] } },
 *   routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
 * }, { env: { OPENAI_KEY: "sk-..." } }))
 * ```
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { ApiKey, ProviderKind, schemaErrorPath } from "@am/core"
import {
  DEFAULT_CAPABILITIES,
  DEFAULT_CONTEXT_WINDOW,
  defaults,
  type EngineConfig,
  type ModelSpec,
  type ProviderSpec,
  type RetrySpec,
  type StreamSpec
} from "@am/engine"
import { Duration, Effect, Option, Redacted, Schema } from "effect"

/** A duration as text ("200 millis", "30 seconds") or milliseconds. */
const DurationText = Schema.Union([
  Schema.String.check(
    Schema.makeFilter((s: string) => Option.isSome(Duration.fromInput(s as Duration.Input)), {
      expected: 'a duration such as "200 millis" or "30 seconds"'
    })
  ),
  Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
])
const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

const KeyEntry = Schema.Struct({
  id: Schema.NonEmptyString,
  /** `env:NAME` or a literal secret. */
  secret: Schema.NonEmptyString,
  weight: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0)))
})

const Capability = Schema.Literals(["tools", "json", "vision", "streaming"])

const ModelEntry = Schema.Struct({
  name: Schema.NonEmptyString,
  contextWindow: Schema.optionalKey(PositiveInt),
  capabilities: Schema.optionalKey(Schema.Array(Capability))
})

const BreakerEntry = Schema.Struct({
  consecutiveFailures: Schema.optionalKey(PositiveInt),
  failureRate: Schema.optionalKey(
    Schema.Struct({
      threshold: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMinimum: true })),
      minimumCalls: Schema.optionalKey(PositiveInt),
      /** How many of the most recent calls the rate is computed over. */
      window: Schema.optionalKey(PositiveInt)
    })
  ),
  openFor: Schema.optionalKey(DurationText),
  maxOpenFor: Schema.optionalKey(DurationText)
})

const ProviderEntry = Schema.Struct({
  kind: ProviderKind,
  baseURL: Schema.optionalKey(Schema.NonEmptyString),
  keys: Schema.Array(KeyEntry),
  models: Schema.Array(ModelEntry),
  timeout: Schema.optionalKey(DurationText),
  breaker: Schema.optionalKey(BreakerEntry),
  keySelection: Schema.optionalKey(Schema.Literals(["round-robin", "weighted", "least-penalized"])),
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})

const RouteStep = Schema.Struct({
  provider: Schema.NonEmptyString,
  models: Schema.NonEmptyArray(Schema.NonEmptyString)
})

const RetryEntry = Schema.Struct({
  /** First backoff delay. */
  base: Schema.optionalKey(DurationText),
  /** Cap on any one backoff delay. */
  max: Schema.optionalKey(DurationText),
  /** Growth per retry (2 = doubling, as in seed 003's 1 s / 2 s / 4 s). */
  factor: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Full jitter (AWS "Full Jitter": uniform in [0, delay]); `false` for exact delays. */
  jitter: Schema.optionalKey(Schema.Boolean),
  /** Attempts per request, the first one included (seed 000's `max_attempts`). */
  maxAttempts: Schema.optionalKey(PositiveInt),
  /** Backoff retries on one provider (after provider-scoped failures) before failing over. */
  providerRetries: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /** The whole request's deadline. */
  deadline: Schema.optionalKey(DurationText),
  /** gRPC-style retry throttling per provider, shared by all requests. */
  budget: Schema.optionalKey(
    Schema.Struct({
      maxTokens: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
      tokenRatio: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0)))
    })
  ),
  /** How long a model the provider reported missing (404) is skipped without a call. */
  modelQuarantine: Schema.optionalKey(DurationText),
  /** Wait for a cooling key (Retry-After) when no other candidate is left, if the deadline allows. */
  waitForKeys: Schema.optionalKey(Schema.Boolean)
})

const StreamEntry = Schema.Struct({
  /** Longest wait for a stream's first content token; past it the engine fails over. */
  firstTokenTimeout: Schema.optionalKey(DurationText),
  /** Longest pause between two chunks: before the first token it fails over, after it the stream ends cut. */
  stallTimeout: Schema.optionalKey(DurationText)
})

const MitigationEntry = Schema.Struct({
  contentPolicy: Schema.optionalKey(Schema.Literals(["rewrite", "fallback", "fail"])),
  rewriter: Schema.optionalKey(
    Schema.Union([
      Schema.Struct({
        provider: Schema.NonEmptyString,
        model: Schema.NonEmptyString,
        timeout: Schema.optionalKey(DurationText)
      }),
      Schema.Struct({ kind: Schema.Literal("rule") })
    ])
  )
})

/** The config file as written (before secrets and environment are resolved). */
export const ConfigFile = Schema.Struct({
  server: Schema.optionalKey(
    Schema.Struct({
      host: Schema.optionalKey(Schema.NonEmptyString),
      port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })))
    })
  ),
  providers: Schema.Record(Schema.NonEmptyString, ProviderEntry),
  routes: Schema.Record(Schema.NonEmptyString, Schema.NonEmptyArray(RouteStep)),
  retry: Schema.optionalKey(RetryEntry),
  mitigation: Schema.optionalKey(MitigationEntry),
  stream: Schema.optionalKey(StreamEntry),
  ledger: Schema.optionalKey(
    Schema.Struct({
      /** `memory`, `sqlite:PATH` or `postgres://…`; the host wires the matching store. */
      store: Schema.NonEmptyString,
      /** Where entries spool while the store is down (default `./data/ledger-spool`). */
      spoolDir: Schema.optionalKey(Schema.NonEmptyString),
      previewLengths: Schema.optionalKey(
        Schema.Struct({
          initialPrompt: Schema.optionalKey(PositiveInt),
          finalPrompt: Schema.optionalKey(PositiveInt),
          response: Schema.optionalKey(PositiveInt)
        })
      )
    })
  ),
  telemetry: Schema.optionalKey(
    Schema.Struct({
      /** One JSON log line per attempt on stdout. */
      logs: Schema.optionalKey(Schema.Boolean),
      /** Batched event writer into the ledger's store. */
      events: Schema.optionalKey(
        Schema.Struct({ batchSize: Schema.optionalKey(PositiveInt), flushInterval: Schema.optionalKey(DurationText) })
      ),
      /** OTLP export of traces and metrics. */
      otlp: Schema.optionalKey(
        Schema.Struct({ url: Schema.NonEmptyString, serviceName: Schema.optionalKey(Schema.String) })
      )
    })
  ),
  state: Schema.optionalKey(
    Schema.Struct({
      /** `memory` (default) or `redis://host:port[/db]`: where replicas share breakers, keys, budget and quarantines. */
      store: Schema.NonEmptyString,
      /** Namespace of every Redis key (default `am:`); distinct prefixes isolate deployments or tests. */
      prefix: Schema.optionalKey(Schema.NonEmptyString)
    })
  ),
  guards: Schema.optionalKey(
    Schema.Struct({
      pii: Schema.optionalKey(Schema.Literals(["redact", "off"])),
      injection: Schema.optionalKey(Schema.Literals(["block", "flag", "off"]))
    })
  ),
  gatewayKeys: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({ id: Schema.NonEmptyString, secret: Schema.NonEmptyString, workspace: Schema.NonEmptyString })
    )
  )
})
export type ConfigFile = typeof ConfigFile.Type

/** A configuration problem, with the dotted path of the bad field. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** The resolved configuration every host runs on: the engine's part plus the hosts' stores, telemetry and keys. */
export interface AmConfig extends EngineConfig {
  readonly server: { readonly host: string; readonly port: number }
  readonly ledger: {
    readonly store: string
    readonly spoolDir?: string
    readonly previewLengths?: {
      readonly initialPrompt?: number
      readonly finalPrompt?: number
      readonly response?: number
    }
  }
  readonly telemetry: {
    readonly logs: boolean
    readonly events: { readonly batchSize?: number; readonly flushIntervalMs?: number }
    readonly otlp?: { readonly url: string; readonly serviceName?: string }
  }
  /** `store` is `memory` or a validated `redis://` / `rediss://` URL; `prefix` namespaces the Redis keys. */
  readonly state: { readonly store: string; readonly prefix: string }
  readonly gatewayKeys: ReadonlyArray<{
    readonly id: string
    readonly secret: Redacted.Redacted<string>
    readonly workspace: string
  }>
}

const ms = (d: string | number): number => (typeof d === "number" ? d : Duration.toMillis(d as Duration.Input))

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())

/**
 * Applies environment overrides: `AM__<PATH>` where path segments are joined by `__` and
 * written in SNAKE_CASE, e.g. `AM__RETRY__MAX_ATTEMPTS=3`, `AM__SERVER__PORT=8080`,
 * `AM__PROVIDERS__PRIMARY__BASE_URL=http://…`. Values are parsed as JSON when they parse,
 * else taken as strings. Environment wins over the file (seed `000_…` §3).
 */
export const applyEnvOverrides = (raw: unknown, env: Readonly<Record<string, string | undefined>>): unknown => {
  const root: Record<string, unknown> = structuredClone((raw ?? {}) as Record<string, unknown>)
  const entries = Object.entries(env).filter(([k, v]) => k.startsWith("AM__") && v !== undefined)
  entries.sort(([a], [b]) => a.localeCompare(b))
  entries.forEach(([name, value]) => {
    const path = name
      .slice(4)
      .split("__")
      .filter((s) => s.length > 0)
    if (path.length === 0) return
    let parsed: unknown = value
    try {
      parsed = JSON.parse(value!)
    } catch {
      parsed = value
    }
    const parent = path.slice(0, -1).reduce<Record<string, unknown>>((node, seg) => {
      const existing = Object.keys(node).find((k) => k.toLowerCase() === camel(seg).toLowerCase())
      const key = existing ?? camel(seg)
      const next = node[key]
      if (next === null || typeof next !== "object") node[key] = {}
      return node[key] as Record<string, unknown>
    }, root)
    const last = path[path.length - 1]!
    const existing = Object.keys(parent).find((k) => k.toLowerCase() === camel(last).toLowerCase())
    const lastKey = existing ?? (camel(last) === "baseUrl" ? "baseURL" : camel(last))
    parent[lastKey] = parsed
  })
  return root
}

export interface LoadOptions {
  readonly env?: Readonly<Record<string, string | undefined>>
}

/**
 * Decodes, overrides from the environment, resolves secrets and validates a config. Fails with
 * `ConfigError` naming the path of the first bad field.
 */
export const loadConfig = Effect.fnUntraced(function* (raw: unknown, options?: LoadOptions) {
  const env = options?.env ?? process.env
  const merged = applyEnvOverrides(raw, env)
  const file = yield* Schema.decodeUnknownEffect(ConfigFile)(merged, { errors: "first" }).pipe(
    Effect.mapError((e) => new ConfigError({ path: schemaErrorPath(e.message) ?? "(root)", message: e.message }))
  )
  return yield* resolve(file, env)
})

/** Reads a JSON config file (path from `--config` or `AM_CONFIG`) and loads it. */
export const loadConfigFile = (path: string, options?: LoadOptions) =>
  Effect.try({
    try: () => JSON.parse(readFileSync(path, "utf8")) as unknown,
    catch: (e) => new ConfigError({ path: "(file)", message: `cannot read ${path}: ${(e as Error).message}` })
  }).pipe(Effect.flatMap((raw) => loadConfig(raw, options)))

const fail = (path: string, message: string) => Effect.fail(new ConfigError({ path, message }))

const secretOf = (path: string, secret: string, env: Readonly<Record<string, string | undefined>>) => {
  if (!secret.startsWith("env:")) return Effect.succeed(Redacted.make(secret))
  const name = secret.slice(4)
  const value = env[name]
  return value === undefined || value === ""
    ? fail(path, `environment variable ${name} is not set`)
    : Effect.succeed(Redacted.make(value))
}

const SUPPORTED_LEDGER = ["memory", "sqlite:", "postgres://", "postgresql://"]
/** Default namespace of the shared state's Redis keys. */
export const DEFAULT_STATE_PREFIX = "am:"

/** Why `store` is not `memory` or a usable `redis://host:port[/db]` URL, or undefined if it is. */
const stateStoreProblem = (store: string): string | undefined => {
  if (store === "memory") return undefined
  let url: URL
  try {
    url = new URL(store)
  } catch {
    return `"${store}" is neither memory nor a redis://host:port[/db] URL`
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    return `"${url.protocol}" is not supported (use memory or redis://host:port[/db])`
  }
  if (url.hostname === "") return "the Redis URL names no host (redis://host:port[/db])"
  if (url.search !== "" || url.hash !== "") return "the Redis URL takes no query or fragment (redis://host:port[/db])"
  if (!/^(\/(0|[1-9]\d*)?)?$/.test(url.pathname)) {
    return `the Redis database must be a number (redis://host:port/DB), got "${url.pathname.slice(1)}"`
  }
  return undefined
}

const resolve = Effect.fnUntraced(function* (file: ConfigFile, env: Readonly<Record<string, string | undefined>>) {
  const providers = new Map<string, ProviderSpec>()
  for (const [id, p] of Object.entries(file.providers)) {
    const at = `providers.${id}`
    if (p.kind === "openai-compatible" && p.baseURL === undefined) {
      return yield* fail(`${at}.baseURL`, `a provider of kind "openai-compatible" needs a baseURL`)
    }
    const seen = new Set<string>()
    const keys: Array<ApiKey & { weight?: number }> = []
    for (const [i, k] of p.keys.entries()) {
      if (seen.has(k.id)) return yield* fail(`${at}.keys.${i}.id`, `duplicate key id "${k.id}"`)
      seen.add(k.id)
      const secret = yield* secretOf(`${at}.keys.${i}.secret`, k.secret, env)
      keys.push({ ...ApiKey.make(k.id, secret), ...(k.weight !== undefined ? { weight: k.weight } : {}) })
    }
    const models = new Map<string, ModelSpec>()
    for (const [i, m] of p.models.entries()) {
      if (models.has(m.name)) return yield* fail(`${at}.models.${i}.name`, `duplicate model "${m.name}"`)
      models.set(m.name, {
        name: m.name,
        contextWindow: m.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
        capabilities: new Set(m.capabilities ?? DEFAULT_CAPABILITIES)
      })
    }
    const b = p.breaker ?? {}
    providers.set(id, {
      id,
      kind: p.kind,
      ...(p.baseURL !== undefined ? { baseURL: p.baseURL } : {}),
      keys,
      models,
      timeoutMs: p.timeout !== undefined ? ms(p.timeout) : defaults.providerTimeoutMs,
      breaker: {
        ...(b.consecutiveFailures !== undefined ? { consecutiveFailures: b.consecutiveFailures } : {}),
        ...(b.failureRate !== undefined ? { failureRate: b.failureRate } : {}),
        ...(b.openFor !== undefined ? { openFor: ms(b.openFor) } : {}),
        ...(b.maxOpenFor !== undefined ? { maxOpenFor: ms(b.maxOpenFor) } : {})
      },
      keySelection: p.keySelection ?? "round-robin",
      ...(p.headers !== undefined ? { headers: p.headers } : {})
    })
  }
  const routes = new Map<string, ReadonlyArray<{ provider: string; models: ReadonlyArray<string> }>>()
  for (const [name, steps] of Object.entries(file.routes)) {
    for (const [i, step] of steps.entries()) {
      const provider = providers.get(step.provider)
      if (provider === undefined) {
        return yield* fail(`routes.${name}.${i}.provider`, `unknown provider "${step.provider}"`)
      }
      for (const [j, model] of step.models.entries()) {
        if (provider.models.size > 0 && !provider.models.has(model)) {
          return yield* fail(
            `routes.${name}.${i}.models.${j}`,
            `model "${model}" is not listed under providers.${step.provider}.models`
          )
        }
      }
    }
    routes.set(name, steps)
  }
  if (routes.size === 0) return yield* fail("routes", "at least one route is needed")

  const r = file.retry ?? {}
  const retry: RetrySpec = {
    baseMs: r.base !== undefined ? ms(r.base) : defaults.retry.baseMs,
    maxMs: r.max !== undefined ? ms(r.max) : defaults.retry.maxMs,
    factor: r.factor ?? defaults.retry.factor,
    jitter: r.jitter ?? defaults.retry.jitter,
    maxAttempts: r.maxAttempts ?? defaults.retry.maxAttempts,
    providerRetries: r.providerRetries ?? defaults.retry.providerRetries,
    deadlineMs: r.deadline !== undefined ? ms(r.deadline) : defaults.retry.deadlineMs,
    budget: {
      maxTokens: r.budget?.maxTokens ?? defaults.retry.budget.maxTokens,
      tokenRatio: r.budget?.tokenRatio ?? defaults.retry.budget.tokenRatio
    },
    waitForKeys: r.waitForKeys ?? defaults.retry.waitForKeys,
    modelQuarantineMs: r.modelQuarantine !== undefined ? ms(r.modelQuarantine) : defaults.retry.modelQuarantineMs
  }
  if (retry.maxMs < retry.baseMs) return yield* fail("retry.max", "retry.max must be at least retry.base")

  const stream: StreamSpec = {
    firstTokenTimeoutMs:
      file.stream?.firstTokenTimeout !== undefined
        ? ms(file.stream.firstTokenTimeout)
        : defaults.stream.firstTokenTimeoutMs,
    stallTimeoutMs:
      file.stream?.stallTimeout !== undefined ? ms(file.stream.stallTimeout) : defaults.stream.stallTimeoutMs
  }
  if (stream.firstTokenTimeoutMs <= 0) return yield* fail("stream.firstTokenTimeout", "must be longer than 0")
  if (stream.stallTimeoutMs <= 0) return yield* fail("stream.stallTimeout", "must be longer than 0")

  const mit = file.mitigation ?? {}
  const rw = mit.rewriter
  let rewriter: AmConfig["mitigation"]["rewriter"] = { kind: "rule" }
  if (rw !== undefined && "provider" in rw) {
    const provider = providers.get(rw.provider)
    if (provider === undefined) return yield* fail("mitigation.rewriter.provider", `unknown provider "${rw.provider}"`)
    if (provider.keys.length === 0) {
      return yield* fail("mitigation.rewriter.provider", `provider "${rw.provider}" has no keys for the rewriter`)
    }
    rewriter = {
      kind: "llm",
      provider: rw.provider,
      model: rw.model,
      timeoutMs: rw.timeout !== undefined ? ms(rw.timeout) : 10_000
    }
  }

  const ledgerStore = file.ledger?.store ?? "memory"
  if (
    !SUPPORTED_LEDGER.some((prefix) => (prefix === "memory" ? ledgerStore === prefix : ledgerStore.startsWith(prefix)))
  ) {
    return yield* fail("ledger.store", `"${ledgerStore}" is not supported (use memory, sqlite:PATH or postgres://…)`)
  }
  const stateStore = file.state?.store ?? "memory"
  const stateProblem = stateStoreProblem(stateStore)
  if (stateProblem !== undefined) return yield* fail("state.store", stateProblem)
  if (file.guards?.pii !== undefined && file.guards.pii !== "off") {
    return yield* fail("guards.pii", `"${file.guards.pii}" is not supported yet (supported: off)`)
  }
  if (file.guards?.injection !== undefined && file.guards.injection !== "off") {
    return yield* fail("guards.injection", `"${file.guards.injection}" is not supported yet (supported: off)`)
  }
  const gatewayKeys: Array<AmConfig["gatewayKeys"][number]> = []
  for (const [i, g] of (file.gatewayKeys ?? []).entries()) {
    gatewayKeys.push({
      id: g.id,
      workspace: g.workspace,
      secret: yield* secretOf(`gatewayKeys.${i}.secret`, g.secret, env)
    })
  }
  const config: AmConfig = {
    server: { host: file.server?.host ?? "127.0.0.1", port: file.server?.port ?? 4000 },
    providers,
    routes,
    retry,
    mitigation: { contentPolicy: mit.contentPolicy ?? "rewrite", rewriter },
    stream,
    ledger: {
      store: ledgerStore,
      ...(file.ledger?.spoolDir !== undefined ? { spoolDir: file.ledger.spoolDir } : {}),
      ...(file.ledger?.previewLengths !== undefined ? { previewLengths: file.ledger.previewLengths } : {})
    },
    telemetry: {
      logs: file.telemetry?.logs ?? false,
      events: {
        ...(file.telemetry?.events?.batchSize !== undefined ? { batchSize: file.telemetry.events.batchSize } : {}),
        ...(file.telemetry?.events?.flushInterval !== undefined
          ? { flushIntervalMs: ms(file.telemetry.events.flushInterval) }
          : {})
      },
      ...(file.telemetry?.otlp !== undefined ? { otlp: file.telemetry.otlp } : {})
    },
    state: { store: stateStore, prefix: file.state?.prefix ?? DEFAULT_STATE_PREFIX },
    gatewayKeys
  }
  return config
})
