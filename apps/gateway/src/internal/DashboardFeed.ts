/**
 * The dashboard's feed: one per gateway, shared by every viewer. A background fiber (scoped to
 * the routes layer) counts the resilience events into rate buckets and marks the view dirty; a
 * ticker builds one snapshot — engine state, rates, the ledger's newest entries — and publishes
 * its JSON to every viewer, as soon as something changed (within `tickMs`) and at least every
 * `heartbeatMs`. Nothing is built while nobody watches, and a snapshot is serialised once per
 * scope whatever the number of viewers.
 *
 * Scopes: an `admin` viewer sees everything; a `workspace` viewer sees the shared health
 * (breakers, key status) and only its own workspace's traffic — its requests' rates, its ledger
 * rows (the newest `ledgerRows` of its own among the last `ledgerScan` entries), no key leases
 * or failure counts, no in-flight count, no response-cache counters.
 *
 * `@am/cache`, when the gateway has it (as `GET /v1/am/state` reads it): the response cache's
 * counters on this replica (hits, misses, hit rate — every workspace's traffic, so admin only)
 * and the Idempotency-Keys this replica holds in flight (the newest `idempotencyRows`; a
 * workspace viewer sees its own workspace's only). A change of either is sent within a tick.
 *
 * @since 0.1.0
 */
import { type CacheStats, Idempotency, ResponseCache } from "@am/cache"
import { EventBus, type LedgerEntry, LedgerStore, type LedgerStoreShape } from "@am/core"
import { Engine } from "@am/engine"
import { Clock, Deferred, Duration, Effect, Option, PubSub, Schedule, Stream } from "effect"
import { Lifecycle } from "../Lifecycle.ts"
import { type RateSeries, RateWindow } from "./DashboardRates.ts"

/** One attempt of a ledger entry's trail, as the dashboard shows it (no provider message, no secret). */
export interface TrailStep {
  readonly provider: string
  readonly model: string
  readonly keyId?: string
  readonly keyFingerprint?: string
  readonly outcome: "success" | "failure" | "skipped"
  readonly class?: string
  readonly status?: number
  readonly skipped?: string
  readonly latencyMs: number
  readonly mitigated?: boolean
}

/** A ledger entry as the dashboard shows it: ids, outcome, where it went, the attempt trail. No previews. */
export interface LedgerRow {
  readonly seq: number
  readonly requestId: string
  readonly finishedAt: number
  readonly workspaceId?: string
  readonly route: string
  readonly outcome: string
  readonly failureCode?: string
  readonly provider?: string
  readonly model?: string
  readonly latencyMs: number
  readonly apiCalls: number
  readonly costUsd?: number
  readonly streamCut?: boolean
  readonly attempts: ReadonlyArray<TrailStep>
}

/** An Idempotency-Key held in flight on this replica: the client's own key, never the request body. */
export interface HeldKey {
  readonly workspace: string
  readonly key: string
  /** Epoch milliseconds the lease was taken. */
  readonly since: number
}

/** The response cache's counters since the gateway started (this replica, every workspace). */
export type CacheView =
  | { readonly available: false }
  | {
      readonly available: true
      readonly hits: number
      readonly misses: number
      /** Requests not cached: their route is not in `cache.routes`, or they sent `x-am-cache: off`. */
      readonly bypassed: number
      /** Hits that waited for a concurrent identical miss. */
      readonly coalesced: number
      /** `hits / (hits + misses)`; absent before the first cacheable request. */
      readonly hitRate?: number
    }

/** What every SSE `snapshot` event carries. */
export interface DashboardSnapshot {
  /** Epoch milliseconds the snapshot was taken. */
  readonly at: number
  readonly viewers: number
  readonly gateway: { readonly startedAt?: number; readonly inFlight?: number; readonly draining: boolean }
  readonly providers: ReadonlyArray<{
    readonly id: string
    readonly kind: string
    readonly models: ReadonlyArray<string>
    /** Retry-budget tokens left. */
    readonly budget?: number
  }>
  readonly breakers: ReadonlyArray<{
    readonly name: string
    readonly provider: string
    readonly model?: string
    readonly status: string
    readonly openUntil?: number
    /** Held by an operator (`/v1/am/breakers/…`). */
    readonly override?: string
  }>
  readonly keys: ReadonlyArray<{
    readonly provider: string
    readonly id: string
    readonly fingerprint: string
    readonly status: string
    /** Admin view only (traffic of every workspace), as are `leases` and `failures`. */
    readonly penalty?: number
    readonly availableAt?: number
    readonly coolingModels?: Readonly<Record<string, number>>
    readonly disabledReason?: string
    readonly leases?: number
    readonly failures?: number
  }>
  /** Finished requests per bucket over the last 10 minutes (see `RateSeries`). */
  readonly rates: RateSeries
  readonly ledger: {
    /** Whether the gateway has a ledger store to read. */
    readonly available: boolean
    readonly error?: string
    readonly entries: ReadonlyArray<LedgerRow>
  }
  /** Admin view only (absent for a workspace viewer); `available: false` without a response cache. */
  readonly cache?: CacheView
  readonly idempotency: {
    /** Whether the gateway has an `Idempotency` service to read. */
    readonly available: boolean
    /** Keys in flight this viewer may see (its own workspace's, or every one for an admin). */
    readonly count: number
    /** The newest `idempotencyRows` of them, newest first. */
    readonly inFlight: ReadonlyArray<HeldKey>
  }
}

export interface FeedOptions {
  /** How often the ticker looks for changes (default 250 ms). */
  readonly tickMs?: number
  /** Longest time between two snapshots while someone watches (default 1 s). */
  readonly heartbeatMs?: number
  /** Ledger entries shown (default 20). */
  readonly ledgerRows?: number
  /** Newest ledger entries a workspace viewer's rows are picked from (default 500). */
  readonly ledgerScan?: number
  /** Idempotency-Keys in flight listed (default 50, newest first; `count` has them all). */
  readonly idempotencyRows?: number
}

/** What a viewer may see: everything (`admin`) or one workspace's traffic. */
export type FeedScope = { readonly role: "admin" } | { readonly role: "workspace"; readonly workspace: string }

export interface DashboardFeed {
  /**
   * One viewer's SSE frames: a snapshot at once, then the shared ones, until the viewer goes
   * away (its fiber is interrupted), the gateway drains, or the feed's scope closes.
   */
  readonly frames: (scope: FeedScope) => Stream.Stream<Uint8Array>
}

const ADMIN = "*"
const scopeKey = (scope: FeedScope) => (scope.role === "admin" ? ADMIN : `ws:${scope.workspace}`)

/** Request ids of requests in flight → their workspace; bounded (a lost finish event must not leak). */
const MAX_TRACKED = 10_000

const toRow = (e: LedgerEntry): LedgerRow => ({
  seq: e.seq,
  requestId: e.requestId,
  finishedAt: e.finishedAt,
  ...(e.workspaceId !== undefined ? { workspaceId: e.workspaceId } : {}),
  route: e.route,
  outcome: e.outcome,
  ...(e.failureCode !== undefined ? { failureCode: e.failureCode } : {}),
  ...(e.provider !== undefined ? { provider: e.provider } : {}),
  ...(e.model !== undefined ? { model: e.model } : {}),
  latencyMs: e.latencyMs,
  apiCalls: e.apiCalls,
  ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
  ...(e.stream !== undefined ? { streamCut: e.stream.cut } : {}),
  attempts: e.attempts.map((a) => ({
    provider: a.provider,
    model: a.model,
    ...(a.keyId !== undefined ? { keyId: a.keyId } : {}),
    ...(a.keyFingerprint !== undefined ? { keyFingerprint: a.keyFingerprint } : {}),
    outcome: a.outcome,
    ...(a.class !== undefined ? { class: a.class } : {}),
    ...(a.status !== undefined ? { status: a.status } : {}),
    ...(a.skipped !== undefined ? { skipped: a.skipped } : {}),
    latencyMs: a.latencyMs,
    ...(a.mitigated === true ? { mitigated: true } : {})
  }))
})

/** One reading of `@am/cache`: the cache's counters (when there is a cache) and the keys in flight. */
interface CacheReading {
  readonly stats: CacheStats | undefined
  readonly held: ReadonlyArray<HeldKey>
}

const encoder = new TextEncoder()
const frame = (json: string, prefix = "") => encoder.encode(`${prefix}event: snapshot\ndata: ${json}\n\n`)

/** Starts the feed in the current scope (its fibers stop when the scope closes). */
export const makeFeed = Effect.fnUntraced(function* (options?: FeedOptions) {
  const engine = yield* Engine
  const bus = yield* EventBus
  const ledgerStore = yield* Effect.serviceOption(LedgerStore)
  const lifecycle = yield* Effect.serviceOption(Lifecycle)
  const responseCache = yield* Effect.serviceOption(ResponseCache)
  const idempotency = yield* Effect.serviceOption(Idempotency)
  const tickMs = options?.tickMs ?? 250
  const heartbeatMs = options?.heartbeatMs ?? 1000
  const ledgerRows = options?.ledgerRows ?? 20
  const ledgerScan = Math.max(ledgerRows, options?.ledgerScan ?? 500)
  const idempotencyRows = Math.max(0, options?.idempotencyRows ?? 50)

  const rates = new RateWindow()
  // Per workspace: its requests' counts, plus the shared health events (trips) that carry no request.
  const workspaceRates = new Map<string, RateWindow>()
  const workspaceOf = new Map<string, string>()
  const ratesFor = (workspace: string) => {
    let w = workspaceRates.get(workspace)
    if (w === undefined) {
      w = new RateWindow(rates.bucketMs, rates.size)
      workspaceRates.set(workspace, w)
    }
    return w
  }
  // One sliding PubSub per scope with viewers: a viewer that cannot keep up skips to the newest
  // snapshot instead of queueing old ones, and never receives another scope's.
  const channels = new Map<
    string,
    { readonly scope: FeedScope; readonly pubsub: PubSub.PubSub<Uint8Array>; viewers: number }
  >()
  const closing = yield* Deferred.make<void>()
  yield* Effect.addFinalizer(() => Deferred.succeed(closing, undefined))

  let viewers = 0
  let dirty = true
  let lastPushAt = 0
  let ledger: DashboardSnapshot["ledger"] = { available: Option.isSome(ledgerStore), entries: [] }
  let ledgerDirty = true
  let ledgerReadAt = 0
  let ledgerRetryAt = 0
  let ledgerHead: number | undefined

  yield* bus.subscribe.pipe(
    Stream.runForEachArray((events) =>
      Effect.sync(() => {
        for (const e of events) {
          if (rates.record(e)) dirty = true
          if (e.topic === "request.started" && e.requestId !== undefined && e.workspaceId !== undefined) {
            if (workspaceOf.size >= MAX_TRACKED) workspaceOf.delete(workspaceOf.keys().next().value!)
            workspaceOf.set(e.requestId, e.workspaceId)
          }
          const workspace = e.requestId === undefined ? undefined : workspaceOf.get(e.requestId)
          if (workspace !== undefined) ratesFor(workspace).record(e)
          else if (e.requestId === undefined) for (const w of workspaceRates.values()) w.record(e)
          if ((e.topic === "request.succeeded" || e.topic === "request.failed") && e.requestId !== undefined) {
            workspaceOf.delete(e.requestId)
          }
          if (e.topic === "request.succeeded" || e.topic === "request.failed") ledgerDirty = true
        }
      })
    ),
    Effect.forkScoped
  )

  // The ledger is read by its own loop, so a slow store never delays a snapshot: its head soon
  // after requests finish and at least every `heartbeatMs` (the entry may be written after the
  // request's event), the entries only when the head moved — and only while someone watches.
  const readLedger = (store: LedgerStoreShape) =>
    store.head.pipe(
      Effect.flatMap((head) =>
        head === undefined
          ? Effect.succeed<DashboardSnapshot["ledger"]>({ available: true, entries: [] })
          : head.seq === ledgerHead && ledger.error === undefined
            ? Effect.succeed(ledger)
            : Effect.map(store.range(Math.max(1, head.seq - ledgerScan + 1), ledgerScan), (entries) => {
                ledgerHead = head.seq
                return { available: true, entries: entries.toReversed().map(toRow) }
              })
      ),
      Effect.timeout(Duration.seconds(2))
    )

  if (Option.isSome(ledgerStore)) {
    const store = ledgerStore.value
    const refresh = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (viewers === 0 || now < ledgerRetryAt || (!ledgerDirty && now - ledgerReadAt < heartbeatMs)) return
      ledgerDirty = false
      ledgerReadAt = now
      const next = yield* readLedger(store).pipe(
        Effect.catch(() =>
          Effect.sync((): DashboardSnapshot["ledger"] => {
            // Keep what we had; try again in a few seconds rather than on every tick.
            ledgerRetryAt = now + 5_000
            return { ...ledger, error: "the ledger store did not answer" }
          })
        )
      )
      if (next !== ledger) {
        ledger = next
        dirty = true
      }
    })
    yield* refresh.pipe(
      Effect.catchCause((cause) => Effect.logWarning("dashboard: reading the ledger failed", cause)),
      Effect.repeat(Schedule.spaced(Duration.millis(tickMs))),
      Effect.forkScoped
    )
  }

  // What `@am/cache` holds now: read once per tick (and per new viewer), for every scope.
  const readCache = Effect.gen(function* () {
    const stats = Option.isSome(responseCache) ? yield* responseCache.value.stats : undefined
    const held = Option.isSome(idempotency) ? yield* idempotency.value.inFlight : []
    const reading: CacheReading = { stats, held }
    return reading
  })
  // Neither announces itself on the bus: a change is noticed by comparing with the last reading.
  let cacheSignature = ""
  const signatureOf = (r: CacheReading) => {
    let sig = r.stats === undefined ? "" : `${r.stats.hits},${r.stats.misses},${r.stats.bypassed},${r.stats.coalesced}`
    for (const h of r.held) sig += `\n${h.since}\u0000${h.workspace}\u0000${h.key}`
    return sig
  }

  const cacheView = (stats: CacheStats | undefined): CacheView => {
    if (stats === undefined) return { available: false }
    const lookups = stats.hits + stats.misses
    return {
      available: true,
      hits: stats.hits,
      misses: stats.misses,
      bypassed: stats.bypassed,
      coalesced: stats.coalesced,
      ...(lookups > 0 ? { hitRate: stats.hits / lookups } : {})
    }
  }

  const idempotencyView = (held: ReadonlyArray<HeldKey>, scope: FeedScope): DashboardSnapshot["idempotency"] => {
    // Listed field by field, like stateView's: the workspace, the client's key, since when.
    const visible = (scope.role === "admin" ? held : held.filter((h) => h.workspace === scope.workspace)).map(
      (h): HeldKey => ({ workspace: h.workspace, key: h.key, since: h.since })
    )
    return {
      available: Option.isSome(idempotency),
      count: visible.length,
      inFlight: visible.sort((a, b) => b.since - a.since).slice(0, idempotencyRows)
    }
  }

  const build = Effect.fnUntraced(function* (scope: FeedScope, scopeViewers: number, reading: CacheReading) {
    const now = yield* Clock.currentTimeMillis
    const state = yield* engine.state
    const admin = scope.role === "admin"
    const snapshot: DashboardSnapshot = {
      at: now,
      viewers: admin ? viewers : scopeViewers,
      gateway: Option.match(lifecycle, {
        onNone: () => ({ draining: false }),
        onSome: (l) =>
          admin
            ? { startedAt: l.startedAt, inFlight: l.inFlight, draining: l.draining }
            : { startedAt: l.startedAt, draining: l.draining }
      }),
      providers: [...engine.config.providers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        models: [...p.models.keys()],
        ...(admin && state.budget[p.id] !== undefined ? { budget: state.budget[p.id] } : {})
      })),
      // Listed field by field: whatever the engine's snapshots grow, only these reach a browser.
      breakers: state.breakers.map((b) => ({
        name: b.name,
        provider: b.provider,
        ...(b.model !== undefined ? { model: b.model } : {}),
        status: b.status,
        ...(b.openUntil !== undefined ? { openUntil: b.openUntil } : {}),
        ...(b.override !== undefined ? { override: b.override } : {})
      })),
      keys: state.keys.map((k) => ({
        provider: k.provider,
        id: k.id,
        fingerprint: k.fingerprint,
        status: k.status,
        ...(k.availableAt !== undefined ? { availableAt: k.availableAt } : {}),
        ...(k.coolingModels !== undefined ? { coolingModels: k.coolingModels } : {}),
        ...(k.disabledReason !== undefined ? { disabledReason: k.disabledReason } : {}),
        // Every workspace's traffic: an admin's view only.
        ...(admin ? { penalty: k.penalty, leases: k.leases, failures: k.failures } : {})
      })),
      rates: admin ? rates.series(now) : ratesFor(scope.workspace).series(now),
      ledger: {
        ...ledger,
        entries: (admin ? ledger.entries : ledger.entries.filter((e) => e.workspaceId === scope.workspace)).slice(
          0,
          ledgerRows
        )
      },
      // Every workspace's traffic: an admin's view only, as on `GET /v1/am/state`.
      ...(admin ? { cache: cacheView(reading.stats) } : {}),
      idempotency: idempotencyView(reading.held, scope)
    }
    return JSON.stringify(snapshot)
  })

  const tick = Effect.gen(function* () {
    if (Option.isSome(lifecycle) && lifecycle.value.draining) {
      // Draining: end every viewer's stream so open dashboards never hold up the shutdown.
      yield* Deferred.succeed(closing, undefined)
      return
    }
    if (viewers === 0) return
    const reading = yield* readCache
    const signature = signatureOf(reading)
    if (signature !== cacheSignature) {
      cacheSignature = signature
      dirty = true
    }
    const now = yield* Clock.currentTimeMillis
    if (!dirty && now - lastPushAt < heartbeatMs) return
    lastPushAt = now
    dirty = false
    // Serialised and encoded once per scope, whatever the number of viewers.
    for (const channel of channels.values()) {
      if (channel.viewers > 0)
        yield* PubSub.publish(channel.pubsub, frame(yield* build(channel.scope, channel.viewers, reading)))
    }
  })

  yield* tick.pipe(
    Effect.catchCause((cause) => Effect.logWarning("dashboard: snapshot failed", cause)),
    Effect.repeat(Schedule.spaced(Duration.millis(tickMs))),
    Effect.forkScoped
  )

  const channelFor = Effect.fnUntraced(function* (scope: FeedScope) {
    const key = scopeKey(scope)
    const existing = channels.get(key)
    if (existing !== undefined) return existing
    const channel = { scope, pubsub: yield* PubSub.sliding<Uint8Array>(2), viewers: 0 }
    channels.set(key, channel)
    return channel
  })

  const frames = (scope: FeedScope): Stream.Stream<Uint8Array> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const channel = yield* channelFor(scope)
        // Subscribe before the first snapshot so nothing published in between is missed.
        const subscription = yield* PubSub.subscribe(channel.pubsub)
        viewers++
        channel.viewers++
        dirty = true
        ledgerDirty = true
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            viewers--
            channel.viewers--
            dirty = true
          })
        )
        // `retry`: how long a browser waits before reconnecting after the stream ends.
        const first = frame(yield* build(scope, channel.viewers, yield* readCache), "retry: 2000\n")
        return Stream.concat(Stream.succeed(first), Stream.fromSubscription(subscription))
      })
    ).pipe(Stream.interruptWhen(Deferred.await(closing)))

  return { frames } satisfies DashboardFeed
})
