/**
 * The hosts' sections of the config file — `server`, `ledger`, `telemetry`, `state`, `guards`,
 * `gatewayKeys` — with their defaults, durations in milliseconds, store URLs checked at their
 * field, and guards that are not built yet rejected rather than accepted and ignored.
 *
 * @internal
 */
import { Effect, Schema } from "effect"
import { Millis, PositiveInt, PositiveMillis, Secret } from "./ConfigFields.ts"

export const Server = Schema.Struct({
  host: Schema.NonEmptyString.pipe(Schema.withDecodingDefaultKey(Effect.succeed("127.0.0.1"))),
  port: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(4000))
  ),
  /** A Chat Completions field a cross-wire provider cannot honour: `reject` (default, 400 naming it) or `drop-and-report` (`x-am-dropped-fields`). */
  unsupportedFields: Schema.optionalKey(Schema.Literals(["reject", "drop-and-report"]))
}).pipe(Schema.withDecodingDefaultKey(Effect.succeed({})))

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

/** A guard mode the engine does not implement yet is rejected at its field, never accepted and ignored. */
const notBuiltYet = Schema.makeFilter((mode: string) =>
  mode === "off" ? undefined : `"${mode}" is not supported yet (supported: off)`
)

/** `guards` as written; only `off` is accepted today, so nothing of it reaches the decoded config. */
export const Guards = Schema.optionalKey(
  Schema.Struct({
    pii: Schema.optionalKey(Schema.Literals(["redact", "off"]).check(notBuiltYet)),
    injection: Schema.optionalKey(Schema.Literals(["block", "flag", "off"]).check(notBuiltYet))
  })
)

export const GatewayKeys = Schema.Array(
  Schema.Struct({ id: Schema.NonEmptyString, secret: Secret, workspace: Schema.NonEmptyString })
).pipe(Schema.withDecodingDefaultKey(Effect.succeed([])))
