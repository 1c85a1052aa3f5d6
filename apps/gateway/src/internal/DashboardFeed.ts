/**
 * The dashboard's feed: one per gateway, shared by every viewer. A background fiber (scoped to
 * the routes layer) counts the resilience events into rate buckets and marks the view dirty; a
 * ticker builds one snapshot — engine state, rates, the ledger's newest entries — and publishes
 * its JSON to every viewer, as soon as something changed (within `tickMs`) and at least every
 * `heartbeatMs`. Nothing is built while nobody watches, and a snapshot is serialised once
 * whatever the number of viewers.
 *
 * @since 0.1.0
 */
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
  }>
  readonly keys: ReadonlyArray<{
    readonly provider: string
    readonly id: string
    readonly fingerprint: string
    readonly status: string
    readonly penalty: number
    readonly availableAt?: number
    readonly coolingModels?: Readonly<Record<string, number>>
    readonly disabledReason?: string
    readonly leases: number
    readonly failures: number
  }>
  /** Finished requests per bucket over the last 10 minutes (see `RateSeries`). */
  readonly rates: RateSeries
  readonly ledger: {
    /** Whether the gateway has a ledger store to read. */
    readonly available: boolean
    readonly error?: string
    readonly entries: ReadonlyArray<LedgerRow>
  }
}

export interface FeedOptions {
  /** How often the ticker looks for changes (default 250 ms). */
  readonly tickMs?: number
  /** Longest time between two snapshots while someone watches (default 1 s). */
  readonly heartbeatMs?: number
  /** Ledger entries shown (default 20). */
  readonly ledgerRows?: number
}

export interface DashboardFeed {
  /**
   * One viewer's SSE frames: a snapshot at once, then the shared ones, until the viewer goes
   * away (its fiber is interrupted), the gateway drains, or the feed's scope closes.
   */
  readonly frames: Stream.Stream<Uint8Array>
}

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

const encoder = new TextEncoder()
const frame = (json: string, prefix = "") => encoder.encode(`${prefix}event: snapshot\ndata: ${json}\n\n`)

/** Starts the feed in the current scope (its fibers stop when the scope closes). */
export const makeFeed = Effect.fnUntraced(function* (options?: FeedOptions) {
  const engine = yield* Engine
  const bus = yield* EventBus
  const ledgerStore = yield* Effect.serviceOption(LedgerStore)
  const lifecycle = yield* Effect.serviceOption(Lifecycle)
  const tickMs = options?.tickMs ?? 250
  const heartbeatMs = options?.heartbeatMs ?? 1000
  const ledgerRows = options?.ledgerRows ?? 20

  const rates = new RateWindow()
  // Sliding: a viewer that cannot keep up skips to the newest snapshot instead of queueing old ones.
  const snapshots = yield* PubSub.sliding<Uint8Array>(2)
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
            : Effect.map(store.range(Math.max(1, head.seq - ledgerRows + 1), ledgerRows), (entries) => {
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

  const build = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const state = yield* engine.state
    const snapshot: DashboardSnapshot = {
      at: now,
      viewers,
      gateway: Option.match(lifecycle, {
        onNone: () => ({ draining: false }),
        onSome: (l) => ({ startedAt: l.startedAt, inFlight: l.inFlight, draining: l.draining })
      }),
      providers: [...engine.config.providers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        models: [...p.models.keys()],
        ...(state.budget[p.id] !== undefined ? { budget: state.budget[p.id] } : {})
      })),
      // Listed field by field: whatever the engine's snapshots grow, only these reach a browser.
      breakers: state.breakers.map((b) => ({
        name: b.name,
        provider: b.provider,
        ...(b.model !== undefined ? { model: b.model } : {}),
        status: b.status,
        ...(b.openUntil !== undefined ? { openUntil: b.openUntil } : {})
      })),
      keys: state.keys.map((k) => ({
        provider: k.provider,
        id: k.id,
        fingerprint: k.fingerprint,
        status: k.status,
        penalty: k.penalty,
        ...(k.availableAt !== undefined ? { availableAt: k.availableAt } : {}),
        ...(k.coolingModels !== undefined ? { coolingModels: k.coolingModels } : {}),
        ...(k.disabledReason !== undefined ? { disabledReason: k.disabledReason } : {}),
        leases: k.leases,
        failures: k.failures
      })),
      rates: rates.series(now),
      ledger
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
    const now = yield* Clock.currentTimeMillis
    if (!dirty && now - lastPushAt < heartbeatMs) return
    lastPushAt = now
    dirty = false
    // Serialised and encoded once, whatever the number of viewers.
    yield* PubSub.publish(snapshots, frame(yield* build))
  })

  yield* tick.pipe(
    Effect.catchCause((cause) => Effect.logWarning("dashboard: snapshot failed", cause)),
    Effect.repeat(Schedule.spaced(Duration.millis(tickMs))),
    Effect.forkScoped
  )

  const frames: Stream.Stream<Uint8Array> = Stream.unwrap(
    Effect.gen(function* () {
      // Subscribe before the first snapshot so nothing published in between is missed.
      const subscription = yield* PubSub.subscribe(snapshots)
      viewers++
      dirty = true
      ledgerDirty = true
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          viewers--
          dirty = true
        })
      )
      // `retry`: how long a browser waits before reconnecting after the stream ends.
      const first = frame(yield* build, "retry: 2000\n")
      return Stream.concat(Stream.succeed(first), Stream.fromSubscription(subscription))
    })
  ).pipe(Stream.interruptWhen(Deferred.await(closing)))

  return { frames } satisfies DashboardFeed
})
