/**
 * The engine's policy sections of the config file — `routes`, `retry`, `stream`, `mitigation` —
 * decoded to the engine's `RouteEntry` (`@am/router`'s `RouteSchema`: a list of steps, or
 * `{ steps, profile, overrides }` with step `weight`s), `RetrySpec`, `StreamSpec` and `MitigationSpec`: defaults
 * from `@am/engine`'s `defaults`, durations in milliseconds (`base` → `baseMs`, …), and the
 * section's own rules (at least one route; `retry.max` ≥ `retry.base`; stream timeouts > 0).
 *
 * @internal
 */
import { defaults } from "@am/engine"
import { RouteSchema } from "@am/router"
import { Effect, Schema, SchemaGetter } from "effect"
import { Millis, PositiveInt, PositiveMillis } from "./ConfigFields.ts"

/** `routes` as written (a record by name), decoded to a map by name. */
export const Routes = Schema.Record(Schema.NonEmptyString, RouteSchema)
  .check(Schema.makeFilter((routes) => Object.keys(routes).length > 0 || "at least one route is needed"))
  .pipe(
    Schema.decodeTo(Schema.ReadonlyMap(Schema.String, Schema.toType(RouteSchema)), {
      decode: SchemaGetter.transform((routes) => new Map(Object.entries(routes))),
      encode: SchemaGetter.transform((routes) => Object.fromEntries(routes))
    })
  )

const withDefault = <S extends Schema.Top>(value: S["Encoded"]) =>
  Schema.withDecodingDefaultKey<S>(Effect.succeed(value))

const r = defaults.retry

export const Retry = Schema.Struct({
  /** First backoff delay (written `base`). */
  baseMs: Millis.pipe(withDefault(r.baseMs)),
  /** Cap on any one backoff delay (written `max`). */
  maxMs: Millis.pipe(withDefault(r.maxMs)),
  /** Growth per retry (2 = doubling, as in seed 003's 1 s / 2 s / 4 s). */
  factor: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(1)).pipe(withDefault(r.factor)),
  /** Full jitter (AWS "Full Jitter": uniform in [0, delay]); `false` for exact delays. */
  jitter: Schema.Boolean.pipe(withDefault(r.jitter)),
  /** Attempts per request, the first one included (seed 000's `max_attempts`). */
  maxAttempts: PositiveInt.pipe(withDefault(r.maxAttempts)),
  /** Backoff retries on one provider (after provider-scoped failures) before failing over. */
  providerRetries: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(withDefault(r.providerRetries)),
  /** The whole request's deadline (written `deadline`). */
  deadlineMs: Millis.pipe(withDefault(r.deadlineMs)),
  /** gRPC-style retry throttling per provider, shared by all requests. */
  budget: Schema.Struct({
    maxTokens: Schema.Finite.check(Schema.isGreaterThan(0)).pipe(withDefault(r.budget.maxTokens)),
    tokenRatio: Schema.Finite.check(Schema.isGreaterThan(0)).pipe(withDefault(r.budget.tokenRatio))
  }).pipe(withDefault({})),
  /** Wait for a cooling key (Retry-After) when no other candidate is left, if the deadline allows. */
  waitForKeys: Schema.Boolean.pipe(withDefault(r.waitForKeys)),
  /** How long a model the provider reported missing (404) is skipped without a call (written `modelQuarantine`). */
  modelQuarantineMs: Millis.pipe(withDefault(r.modelQuarantineMs))
})
  .check(
    Schema.makeFilter((retry) =>
      retry.maxMs >= retry.baseMs ? undefined : { path: ["max"], issue: "retry.max must be at least retry.base" }
    )
  )
  .pipe(
    Schema.encodeKeys({ baseMs: "base", maxMs: "max", deadlineMs: "deadline", modelQuarantineMs: "modelQuarantine" }),
    withDefault({})
  )

/** One route's stream conduct (`stream.routes.<route>`): continuation on unless `false`, hedging off unless `hedgeAfter`. */
const StreamRoute = Schema.Struct({
  /** Continue a stream cut after its first token on the next candidate whose model has `prefill`. */
  continuation: Schema.Boolean.pipe(withDefault(true)),
  /** Start the next candidate in parallel after this long without a first token (written `hedgeAfter`). */
  hedgeAfterMs: Schema.optionalKey(PositiveMillis)
}).pipe(Schema.encodeKeys({ hedgeAfterMs: "hedgeAfter" }))

const StreamRoutes = Schema.Record(Schema.NonEmptyString, StreamRoute).pipe(
  Schema.decodeTo(Schema.ReadonlyMap(Schema.String, Schema.toType(StreamRoute)), {
    decode: SchemaGetter.transform((routes) => new Map(Object.entries(routes))),
    encode: SchemaGetter.transform((routes) => Object.fromEntries(routes))
  })
)

export const Stream = Schema.Struct({
  /** Longest wait for a stream's first content token; past it the engine fails over. */
  firstTokenTimeoutMs: PositiveMillis.pipe(withDefault(defaults.stream.firstTokenTimeoutMs)),
  /** Longest pause between two chunks: before the first token it fails over, after it the stream is continued or ends cut. */
  stallTimeoutMs: PositiveMillis.pipe(withDefault(defaults.stream.stallTimeoutMs)),
  /** How long a committed stream may run from the request's start (the deadline bounds the time to its commit). */
  maxDurationMs: PositiveMillis.pipe(withDefault(defaults.stream.maxDurationMs)),
  /** Per-route continuation and hedging, by route name (or a listed model's name). */
  routes: Schema.optionalKey(StreamRoutes)
}).pipe(
  Schema.encodeKeys({
    firstTokenTimeoutMs: "firstTokenTimeout",
    stallTimeoutMs: "stallTimeout",
    maxDurationMs: "maxDuration"
  }),
  withDefault({})
)

/** How long the LLM rewriter may take when its entry gives no `timeout`. */
export const DEFAULT_REWRITER_TIMEOUT_MS = 10_000

/** `{ provider, model, timeout? }` as written, decoded to `{ kind: "llm", provider, model, timeoutMs }`. */
const LlmRewriter = Schema.Struct({
  kind: Schema.tagDefaultOmit("llm"),
  provider: Schema.NonEmptyString,
  model: Schema.NonEmptyString,
  timeoutMs: Millis.pipe(withDefault(DEFAULT_REWRITER_TIMEOUT_MS))
}).pipe(Schema.encodeKeys({ timeoutMs: "timeout" }))

const RuleRewriter = Schema.Struct({ kind: Schema.Literal("rule") })

export const Mitigation = Schema.Struct({
  contentPolicy: Schema.Literals(["rewrite", "fallback", "fail"]).pipe(withDefault(defaults.mitigation.contentPolicy)),
  rewriter: Schema.Union([LlmRewriter, RuleRewriter]).pipe(withDefault(defaults.mitigation.rewriter))
}).pipe(withDefault({}))
