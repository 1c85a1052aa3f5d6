/**
 * Idempotency keys for model calls: the first request with a workspace's key runs, a later one
 * with the same body replays the stored result (no second call), one with another body is
 * refused (`KeyReused`), and one arriving while the first is in flight — on any replica sharing
 * the lease store — gets `InProgress` with a retry-after, or, opted in, waits for the first to
 * finish and replays it. A failed or interrupted call is not stored: a retry runs it again.
 *
 * Leases live in the process (`layer`, `layerMemory`) or in Redis (`layerRedis`: `SET NX PX`,
 * extended while the holder runs, so a lease whose holder died expires after `leaseTtl`).
 * Results live in whichever `IdempotencyStore` is provided (memory, Redis, or the SQL store
 * through `IdempotencySql.layer`) for `retention` (default 24 hours).
 *
 * Streamed requests: store the finished completion, and re-stream it on replay
 * (`replayStream`).
 *
 * @example
 * ```ts
 * import { Idempotency, requestHash } from "@am/cache"
 * import { Effect, Schema } from "effect"
 *
 * const body = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }
 * const program = Effect.gen(function* () {
 *   const idempotency = yield* Idempotency
 *   return yield* idempotency.run(
 *     Schema.String,
 *     { workspace: "team-a", key: "order-42", requestHash: requestHash(body) },
 *     Effect.succeed({ requestId: "req-1", value: "hello" })
 *   )
 * }) // { replayed: false, requestId: "req-1", value: "hello" }; run again: replayed: true
 * program.pipe(Effect.provide(Idempotency.layerMemory()))
 * ```
 * @since 0.1.0
 */
import { Tracing } from "@am/core"
import { Clock, Context, Deferred, Duration, Effect, Fiber, Layer, Option, Schedule, Schema, Scope } from "effect"
import type { Redis } from "effect/persistence"
import { type CacheConfigError, IdempotencyError, InProgress, InvalidKey, KeyReused } from "./Errors.ts"
import { IdempotencyStore, type StoredResult, slotOf, unavailable } from "./IdempotencyStore.ts"
import { type Leases, makeMemoryLeases, makeRedisLeases } from "./internal/Leases.ts"
import { positiveMillis } from "./internal/Config.ts"

/** Layer options; every duration is a `Duration.Input` (`"24 hours"`, `1000`, …). */
export interface IdempotencyConfig {
  /** How long a finished result is replayed; default 24 hours. */
  readonly retention?: Duration.Input
  /** How long a lease outlives a holder that stopped extending it (died); default 30 seconds. */
  readonly leaseTtl?: Duration.Input
  /** The `Retry-After` an `InProgress` answer carries; default 1 second. */
  readonly retryAfter?: Duration.Input
  /** How long `awaitResult` (and `run` with `wait`) waits for the first call; default 60 seconds. */
  readonly awaitTimeout?: Duration.Input
  /** How often a waiter re-checks a key held on another replica; default 100 ms. */
  readonly pollInterval?: Duration.Input
  /** Redis key prefix (`layerRedis`); default `"am:"`. */
  readonly prefix?: string
}

/** A key, scoped to its workspace, with the fingerprint of the request that uses it. */
export interface IdempotencyRequest {
  readonly workspace: string
  readonly key: string
  /** `requestHash(body)` or `idempotencyHash(request)`: the same key with another hash is reused. */
  readonly requestHash: string
}

/** The right to run a key's request once; `complete` it with the result, or `abandon` it. */
export interface Lease extends IdempotencyRequest {
  readonly token: string
}

/** What `begin` found. */
export type Begin =
  | { readonly _tag: "Fresh"; readonly lease: Lease }
  | { readonly _tag: "Replay"; readonly result: StoredResult }
  | { readonly _tag: "InProgress"; readonly retryAfterMs: number }
  | { readonly _tag: "KeyReused" }

/** What `run` answered with. */
export interface Ran<A> {
  /** `true` when the stored result of an earlier call was replayed (no call was made). */
  readonly replayed: boolean
  /** The request id of the call that produced the answer (the original one on a replay). */
  readonly requestId: string
  readonly value: A
}

export interface IdempotencyShape {
  /**
   * Looks the key up and, when nothing is stored or in flight, takes its lease (`Fresh`). The
   * lease is extended while the scope is open and abandoned when the scope closes unless it was
   * completed first — so a failed or interrupted holder never leaves the key blocked.
   */
  readonly begin: (request: IdempotencyRequest) => Effect.Effect<Begin, IdempotencyError, Scope.Scope>
  /** Stores the finished result under the lease's key for `retention` and releases the lease. */
  readonly complete: (
    lease: Lease,
    result: { readonly requestId: string; readonly value: Schema.Json }
  ) => Effect.Effect<StoredResult, IdempotencyError>
  /** Releases the lease without storing anything: a retry may run the request again. */
  readonly abandon: (lease: Lease) => Effect.Effect<void>
  /**
   * `begin`, but while the key is in flight it waits (up to `timeout`, default `awaitTimeout`) for
   * the first call to finish: `Replay` when it stored a result, `Fresh` when it gave up (this
   * caller then runs), `InProgress` when the wait ran out.
   */
  readonly awaitResult: (
    request: IdempotencyRequest,
    options?: { readonly timeout?: Duration.Input }
  ) => Effect.Effect<Begin, IdempotencyError, Scope.Scope>
  /**
   * Runs `effect` at most once per workspace and key: replays a stored result (decoded with
   * `schema`), fails with `InProgress` or `KeyReused`, or runs it and stores its `value` (in the
   * canonical JSON form of `schema`, `Schema.toCodecJson`). `wait: true` waits for an in-flight
   * first call.
   */
  readonly run: <A, I, E, R>(
    schema: Schema.Codec<A, I>,
    request: IdempotencyRequest & { readonly wait?: boolean },
    effect: Effect.Effect<{ readonly requestId: string; readonly value: A }, E, R>
  ) => Effect.Effect<Ran<A>, E | IdempotencyError, R>
  /** The keys this replica holds in flight (for operators; never the request body). */
  readonly inFlight: Effect.Effect<
    ReadonlyArray<{ readonly workspace: string; readonly key: string; readonly since: number }>
  >
}

const printable = /^[\x21-\x7e]{1,256}$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const controlChars = /[\u0000-\u001f\u007f]/

const validate = (request: IdempotencyRequest) => {
  if (request.workspace.length === 0 || request.workspace.length > 256 || controlChars.test(request.workspace)) {
    return Effect.fail(
      new IdempotencyError({
        reason: new InvalidKey({ field: "workspace", detail: "must be 1–256 characters without control characters" })
      })
    )
  }
  if (!printable.test(request.key)) {
    return Effect.fail(
      new IdempotencyError({
        reason: new InvalidKey({ field: "Idempotency-Key", detail: "must be 1–256 printable ASCII characters" })
      })
    )
  }
  return Effect.void
}

interface Settings {
  readonly retentionMs: number
  readonly leaseTtlMs: number
  readonly retryAfterMs: number
  readonly awaitTimeoutMs: number
  readonly pollMs: number
}

const settingsOf = (config: IdempotencyConfig): Effect.Effect<Settings, CacheConfigError> =>
  Effect.all({
    retentionMs: positiveMillis("idempotency.retention", config.retention, "24 hours"),
    leaseTtlMs: positiveMillis("idempotency.leaseTtl", config.leaseTtl, "30 seconds"),
    retryAfterMs: positiveMillis("idempotency.retryAfter", config.retryAfter, "1 second"),
    awaitTimeoutMs: positiveMillis("idempotency.awaitTimeout", config.awaitTimeout, "60 seconds"),
    pollMs: positiveMillis("idempotency.pollInterval", config.pollInterval, "100 millis")
  })

const newToken = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`

const make = Effect.fnUntraced(function* <LE>(config: IdempotencyConfig, leases: Leases<LE>) {
  const settings = yield* settingsOf(config)
  const store = yield* IdempotencyStore
  const held = new Map<string, { readonly lease: Lease; readonly since: number; heartbeat?: Fiber.Fiber<unknown> }>()
  // Same-replica waiters wake as soon as the holder settles; remote holders are polled.
  const signals = new Map<string, Deferred.Deferred<void>>()
  const signalOf = (slot: string) => {
    let signal = signals.get(slot)
    if (signal === undefined) {
      signal = Deferred.makeUnsafe<void>()
      signals.set(slot, signal)
    }
    return signal
  }
  const wake = (slot: string) =>
    Effect.suspend(() => {
      const signal = signals.get(slot)
      signals.delete(slot)
      return signal === undefined ? Effect.void : Deferred.succeed(signal, undefined)
    })
  const leaseError = unavailable("lease")

  const found = (request: IdempotencyRequest, result: StoredResult): Begin =>
    result.requestHash === request.requestHash ? { _tag: "Replay", result } : { _tag: "KeyReused" }

  const settle = (lease: Lease) =>
    Effect.suspend(() => {
      const entry = held.get(lease.token)
      held.delete(lease.token)
      return entry?.heartbeat === undefined ? Effect.void : Fiber.interrupt(entry.heartbeat)
    })

  const abandon = Tracing.fn("Idempotency.abandon")(function* (lease: Lease) {
    yield* settle(lease)
    const slot = slotOf(lease.workspace, lease.key)
    // A release that cannot reach Redis leaves the lease to expire after leaseTtl.
    yield* Effect.ignore(leases.release(slot, lease.token))
    yield* wake(slot)
  })

  // One lookup + lease attempt. A lease seen with no readable holder (it expired between the
  // SET and the GET) is taken again, a bounded number of times.
  const attempt = (request: IdempotencyRequest, scope: Scope.Scope) =>
    Effect.gen(function* (): Effect.fn.Return<Begin | undefined, IdempotencyError> {
      const stored = yield* store.get(request.workspace, request.key)
      if (Option.isSome(stored)) return found(request, stored.value)
      const slot = slotOf(request.workspace, request.key)
      const token = newToken()
      const got = yield* leases
        .acquire(slot, request.requestHash, token, settings.leaseTtlMs)
        .pipe(Effect.mapError(leaseError))
      if (got._tag === "Held") {
        if (got.requestHash === "") return undefined
        return got.requestHash === request.requestHash
          ? ({ _tag: "InProgress", retryAfterMs: settings.retryAfterMs } as const)
          : ({ _tag: "KeyReused" } as const)
      }
      const lease: Lease = { ...request, token }
      // The holder may have finished between our lookup and our SET: look again.
      const after = yield* store.get(request.workspace, request.key).pipe(Effect.onError(() => abandon(lease)))
      if (Option.isSome(after)) {
        yield* abandon(lease)
        return found(request, after.value)
      }
      const entry: { lease: Lease; since: number; heartbeat?: Fiber.Fiber<unknown> } = {
        lease,
        since: yield* Clock.currentTimeMillis
      }
      held.set(token, entry)
      entry.heartbeat = yield* leases
        .extend(slot, token, settings.leaseTtlMs)
        .pipe(
          Effect.ignore,
          Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(settings.leaseTtlMs / 3))))),
          Effect.forkIn(scope)
        )
      yield* Scope.addFinalizer(
        scope,
        Effect.suspend(() => (held.has(token) ? abandon(lease) : Effect.void))
      )
      return { _tag: "Fresh", lease } as const
    })

  const begin = Tracing.fn("Idempotency.begin")(function* (
    request: IdempotencyRequest
  ): Effect.fn.Return<Begin, IdempotencyError, Scope.Scope> {
    yield* validate(request)
    const scope = yield* Effect.scope
    const result = yield* attempt(request, scope).pipe(Effect.repeat({ until: (r) => r !== undefined, times: 3 }))
    return result ?? ({ _tag: "InProgress", retryAfterMs: settings.retryAfterMs } as const)
  })

  const complete = Tracing.fn("Idempotency.complete")(function* (
    lease: Lease,
    result: { readonly requestId: string; readonly value: Schema.Json }
  ) {
    const now = yield* Clock.currentTimeMillis
    const kept = yield* store.put({
      workspace: lease.workspace,
      key: lease.key,
      requestHash: lease.requestHash,
      requestId: result.requestId,
      value: result.value,
      completedAt: now,
      expiresAt: now + settings.retentionMs
    })
    yield* abandon(lease)
    return kept
  })

  const awaitResult = Tracing.fn("Idempotency.awaitResult")(function* (
    request: IdempotencyRequest,
    options?: { readonly timeout?: Duration.Input }
  ) {
    const timeoutMs =
      options?.timeout === undefined
        ? settings.awaitTimeoutMs
        : yield* positiveMillis("awaitResult.timeout", options.timeout, "60 seconds").pipe(Effect.orDie)
    const slot = slotOf(request.workspace, request.key)
    // Take the signal before looking, so a holder that settles in between still wakes us.
    const step = Effect.suspend(() => {
      const signal = signalOf(slot)
      return Effect.map(begin(request), (r) => [r, signal] as const)
    })
    const waitFor = (signal: Deferred.Deferred<void>) =>
      Effect.raceFirst(Deferred.await(signal), Effect.sleep(Duration.millis(settings.pollMs)))
    let last: Begin = { _tag: "InProgress", retryAfterMs: settings.retryAfterMs }
    const waited = yield* step.pipe(
      Effect.tap(([r]) =>
        Effect.sync(() => {
          last = r
        })
      ),
      Effect.flatMap(
        ([r, signal]): Effect.Effect<Begin> =>
          r._tag === "InProgress" ? Effect.as(waitFor(signal), r) : Effect.succeed(r)
      ),
      Effect.repeat({ until: (r) => r._tag !== "InProgress" }),
      Effect.timeoutOption(Duration.millis(timeoutMs))
    )
    return Option.getOrElse(waited, () => last)
  })

  const run = <A, I, E, R>(
    schema: Schema.Codec<A, I>,
    request: IdempotencyRequest & { readonly wait?: boolean },
    effect: Effect.Effect<{ readonly requestId: string; readonly value: A }, E, R>
  ): Effect.Effect<Ran<A>, E | IdempotencyError, R> =>
    Effect.scoped(
      Effect.gen(function* () {
        // The value is stored in its canonical JSON form (a Date as its ISO string, …).
        const codec = Schema.toCodecJson(schema)
        const begun = request.wait === true ? yield* awaitResult(request) : yield* begin(request)
        switch (begun._tag) {
          case "Replay": {
            const value = yield* Schema.decodeUnknownEffect(codec)(begun.result.value).pipe(Effect.orDie)
            return { replayed: true, requestId: begun.result.requestId, value }
          }
          case "InProgress":
            return yield* new IdempotencyError({ reason: new InProgress({ retryAfterMs: begun.retryAfterMs }) })
          case "KeyReused":
            return yield* new IdempotencyError({ reason: new KeyReused({}) })
          case "Fresh": {
            // A failure or interruption here closes the scope, which abandons the lease.
            const out = yield* effect
            const encoded = yield* Schema.encodeUnknownEffect(codec)(out.value).pipe(Effect.orDie)
            const kept = yield* complete(begun.lease, { requestId: out.requestId, value: encoded })
            return { replayed: false, requestId: kept.requestId, value: out.value }
          }
        }
      }).pipe(Tracing.withSpan("Idempotency.run"))
    ) as Effect.Effect<Ran<A>, E | IdempotencyError, R>

  const inFlight = Effect.sync(() =>
    [...held.values()].map((h) => ({ workspace: h.lease.workspace, key: h.lease.key, since: h.since }))
  ).pipe(Tracing.withSpan("Idempotency.inFlight"))

  return Idempotency.of({ begin, complete, abandon, awaitResult, run, inFlight })
})

/**
 * The idempotency service. `layerMemory` keeps leases and results in the process; `layer` keeps
 * leases in the process and results in the provided `IdempotencyStore` (e.g. the SQL store);
 * `layerRedis` shares leases between replicas through Redis, results in the provided store.
 *
 * @example
 * ```ts
 * import { Idempotency, IdempotencySql, IdempotencyStore } from "@am/cache"
 * import { Layer } from "effect"
 * // replicas: leases in Redis, results durable in SQL (SqlClient and Redis provided by the host)
 * const Shared = Idempotency.layerRedis({ retention: "24 hours" }).pipe(Layer.provide(IdempotencySql.layer))
 * const Local = Idempotency.layerMemory()
 * const LocalSql = Idempotency.layer().pipe(Layer.provide(IdempotencySql.layer))
 * void [Shared, Local, LocalSql, IdempotencyStore.layerMemory]
 * ```
 */
export class Idempotency extends Context.Service<Idempotency, IdempotencyShape>()("@am/cache/Idempotency") {
  /** Leases in this process; results in the provided `IdempotencyStore`. */
  static layer(config: IdempotencyConfig = {}): Layer.Layer<Idempotency, CacheConfigError, IdempotencyStore> {
    return Layer.effect(Idempotency, make(config, makeMemoryLeases()))
  }

  /** Leases and results in this process: one replica. */
  static layerMemory(config: IdempotencyConfig = {}): Layer.Layer<Idempotency, CacheConfigError> {
    return Idempotency.layer(config).pipe(Layer.provide(IdempotencyStore.layerMemory))
  }

  /**
   * Leases in Redis under `prefix` (default `"am:"`): a key in flight on any replica with the
   * same prefix answers `InProgress` on the others. Results in the provided `IdempotencyStore`
   * (`IdempotencyStore.layerRedis` or `IdempotencySql.layer`).
   */
  static layerRedis(
    config: IdempotencyConfig = {}
  ): Layer.Layer<Idempotency, CacheConfigError, IdempotencyStore | Redis.Redis> {
    return Layer.effect(
      Idempotency,
      Effect.flatMap(makeRedisLeases(`${config.prefix ?? "am:"}idem:lease:`), (leases) => make(config, leases))
    )
  }
}
