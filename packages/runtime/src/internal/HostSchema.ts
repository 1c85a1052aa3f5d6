/**
 * The hosts' sections of the config file — `server`, `ledger`, `telemetry`, `state`, `guards`,
 * `gatewayKeys` — with their defaults, durations in milliseconds, store URLs checked at their
 * field, and guards that are not built yet rejected rather than accepted and ignored.
 *
 * @internal
 */
import { GuardConfig } from "@am/guard"
import { Effect, Redacted, Schema } from "effect"
import { Millis, PositiveInt, PositiveMillis, Secret } from "./ConfigFields.ts"

export const Server = Schema.Struct({
  host: Schema.NonEmptyString.pipe(Schema.withDecodingDefaultKey(Effect.succeed("127.0.0.1"))),
  port: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(4000))
  ),
  /** Longest a client may take to send a request's headers (written `headersTimeout`; default 30 s). */
  headersTimeoutMs: Schema.optionalKey(PositiveMillis),
  /** Longest a client may take to send a whole request, body included (written `bodyTimeout`; default 30 s). */
  bodyTimeoutMs: Schema.optionalKey(PositiveMillis),
  /** Most client connections open at once; connections past it are closed on accept (default 10 000). */
  maxConnections: Schema.optionalKey(PositiveInt),
  /** Largest upstream answer in bytes, streamed bytes counted, decoded; past it the attempt fails (default 32 MiB). */
  maxUpstreamResponseBytes: Schema.optionalKey(PositiveInt),
  /** A Chat Completions field a cross-wire provider cannot honour: `reject` (default, 400 naming it) or `drop-and-report` (`x-am-dropped-fields`). */
  unsupportedFields: Schema.optionalKey(Schema.Literals(["reject", "drop-and-report"]))
}).pipe(
  Schema.encodeKeys({ headersTimeoutMs: "headersTimeout", bodyTimeoutMs: "bodyTimeout" }),
  Schema.withDecodingDefaultKey(Effect.succeed({}))
)

const SUPPORTED_LEDGER = ["memory", "sqlite:", "postgres://", "postgresql://"]

const LedgerStore = Schema.NonEmptyString.check(
  Schema.makeFilter((store) =>
    SUPPORTED_LEDGER.some((prefix) => (prefix === "memory" ? store === prefix : store.startsWith(prefix)))
      ? undefined
      : `"${store}" is not supported (use memory, sqlite:PATH or postgres://…)`
  )
)

export const Ledger = Schema.Struct({
  /** `memory`, `sqlite:PATH` or `postgres://…`; the host wires the matching store. */
  store: LedgerStore,
  /** Where entries spool while the store is down (default `./data/ledger-spool`). */
  spoolDir: Schema.optionalKey(Schema.NonEmptyString),
  /** Longest a call to a durable store may take before it counts as a refusal (written `queryTimeout`; default 2 s). */
  queryTimeoutMs: Schema.optionalKey(PositiveMillis),
  /** Spooled records (ledger entries, `llm_runs` rows) past which the replica reports not ready (default 100 000). */
  spoolLimit: Schema.optionalKey(PositiveInt),
  previewLengths: Schema.optionalKey(
    Schema.Struct({
      initialPrompt: Schema.optionalKey(PositiveInt),
      finalPrompt: Schema.optionalKey(PositiveInt),
      response: Schema.optionalKey(PositiveInt)
    })
  )
}).pipe(
  Schema.encodeKeys({ queryTimeoutMs: "queryTimeout" }),
  Schema.withDecodingDefaultKey(Effect.succeed({ store: "memory" }))
)

export const Telemetry = Schema.Struct({
  /** One JSON log line per attempt on stdout. */
  logs: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false))),
  /** Batched event writer into the ledger's store (`flushIntervalMs` is written `flushInterval`). */
  events: Schema.Struct({
    batchSize: Schema.optionalKey(PositiveInt),
    flushIntervalMs: Schema.optionalKey(Millis)
  }).pipe(Schema.encodeKeys({ flushIntervalMs: "flushInterval" }), Schema.withDecodingDefaultKey(Effect.succeed({}))),
  /** OTLP export of traces and metrics. */
  otlp: Schema.optionalKey(
    Schema.Struct({ url: Schema.NonEmptyString, serviceName: Schema.optionalKey(Schema.String) })
  )
}).pipe(Schema.withDecodingDefaultKey(Effect.succeed({})))

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

export const State = Schema.Struct({
  /** `memory` (default) or `redis://host:port[/db]`: where replicas share breakers, keys, budget and quarantines. */
  store: Schema.NonEmptyString.check(Schema.makeFilter(stateStoreProblem)),
  /** Namespace of every Redis key (default `am:`); distinct prefixes isolate deployments or tests. */
  prefix: Schema.NonEmptyString.pipe(Schema.withDecodingDefaultKey(Effect.succeed(DEFAULT_STATE_PREFIX))),
  /** Longest a Redis command may take before the state falls back to local (written `commandTimeout`; default 500 ms). */
  commandTimeoutMs: Schema.optionalKey(PositiveMillis)
}).pipe(
  Schema.encodeKeys({ commandTimeoutMs: "commandTimeout" }),
  Schema.withDecodingDefaultKey(Effect.succeed({ store: "memory" }))
)

/**
 * `guards`: `@am/guard`'s config (PII per entity, injection mode and thresholds, sanitisation,
 * size limits, self-verification). The verifier's provider, model and routes are checked against
 * the rest of the file by `verifyIsServed` (ConfigSchema).
 */
export const Guards = Schema.optionalKey(GuardConfig)

/** A `sha256:` gateway key secret is a digest: 64 hex digits, never a plaintext that happens to start so. */
const DIGEST_PREFIX = "sha256:"
const secretDigest = Schema.makeFilter((redacted: Redacted.Redacted<string>) => {
  const secret = Redacted.value(redacted)
  return !secret.startsWith(DIGEST_PREFIX) || /^[0-9a-fA-F]{64}$/.test(secret.slice(DIGEST_PREFIX.length))
    ? undefined
    : "a sha256: gateway key must be followed by 64 hex digits (the SHA-256 of the key, e.g. printf %s KEY | sha256sum)"
})

/**
 * `gatewayKeys`: who may call the gateway. `secret` is the key (`env:NAME` or a literal) or its
 * SHA-256 as `sha256:<64 hex>`, so the file need hold no plaintext; `role` is `workspace`
 * (default: its own workspace's traffic only) or `admin` (every workspace, key and breaker controls).
 */
export const GatewayKeys = Schema.Array(
  Schema.Struct({
    id: Schema.NonEmptyString,
    secret: Secret.check(secretDigest),
    workspace: Schema.NonEmptyString,
    role: Schema.Literals(["workspace", "admin"]).pipe(
      Schema.withDecodingDefaultKey(Effect.succeed("workspace" as const))
    )
  })
).pipe(Schema.withDecodingDefaultKey(Effect.succeed([])))
