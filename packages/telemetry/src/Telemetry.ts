/**
 * The production event bus: one bounded queue per subscriber, each with an explicit overflow
 * policy, fed by `EventBus.publish`; every dropped event is counted in `am.events.dropped`;
 * closing the scope drains every accepted event to every subscriber before it returns.
 *
 * @example
 * ```ts
 * import { EventBus } from "@am/core"
 * import { Telemetry } from "@am/telemetry"
 * import { Effect } from "effect"
 *
 * const program = EventBus.use((bus) => bus.publish({ topic: "resource.healed.all", provider: "primary" }))
 * Effect.runPromise(program.pipe(Effect.provide(Telemetry.layerBus({ subscribers: [] }))))
 * ```
 * @since 0.1.0
 */
import { EventBus, type EventInput, EventLog, type EventStore, type ResilienceEvent } from "@am/core"
import { type Cause, Context, Deferred, Duration, Effect, Fiber, Layer, Metric, Option, Queue, Stream } from "effect"
import * as EventWriter from "./EventWriter.ts"
import * as JsonLogs from "./JsonLogs.ts"
import * as Metrics from "./Metrics.ts"

const { eventsDropped, subscriberErrors } = Metrics

/**
 * What a subscriber does when its queue is full.
 * - `backpressure`: the publisher waits for room (never drops) — for the ledger and persistence.
 * - `sliding`: the oldest queued event is dropped and counted (the publisher never waits) — for live views.
 */
export type OverflowPolicy = "backpressure" | "sliding"

/** The queue a subscriber reads; it ends (fails with `Cause.Done`) once the bus is closed and drained. */
export type SubscriberQueue = Queue.Dequeue<ResilienceEvent, Cause.Done>

/**
 * A subscriber: a name (the `subscriber` attribute of `am.events.dropped`), a policy, a queue
 * capacity and either a batch `handle` (the bus runs the loop) or a `consume` that owns the
 * loop over its queue (the batched writer) and returns once the queue ends.
 */
export interface Subscriber {
  readonly name: string
  readonly policy: OverflowPolicy
  /** Queue capacity (default 1024). */
  readonly capacity?: number | undefined
  /** Most events per `handle` call (default 256). */
  readonly maxBatch?: number | undefined
  readonly handle?: ((batch: ReadonlyArray<ResilienceEvent>) => Effect.Effect<void>) | undefined
  readonly consume?: ((queue: SubscriberQueue) => Effect.Effect<void>) | undefined
}

/** Counters the bus keeps for operators and tests. */
export interface TelemetryStats {
  /** Events `publish` accepted (before the bus closed). */
  readonly accepted: number
  /** Events published after shutdown began (never accepted, never delivered). */
  readonly rejected: number
  /** Per subscriber: events dropped by overflow, events queued now, events handed to it. */
  readonly subscribers: Readonly<
    Record<string, { readonly policy: OverflowPolicy; readonly dropped: number; readonly pending: number }>
  >
}

export interface TelemetryShape {
  readonly stats: Effect.Effect<TelemetryStats>
}

/** Bus statistics (accepted, rejected, dropped per subscriber). */
export class Telemetry extends Context.Service<Telemetry, TelemetryShape>()("@am/telemetry/Telemetry") {
  /**
   * The production `EventBus` (+ `EventLog` of recent events + `Telemetry` stats) over
   * per-subscriber bounded queues. Subscribers are effects so they can read services (the
   * writer needs `EventStore`).
   *
   * Trade-off: a `sliding` subscriber never slows a request — it loses its oldest events and
   * counts them; a `backpressure` subscriber never loses an event — when its queue is full,
   * `publish` waits (uninterruptibly, so an accepted event is never half-delivered) until the
   * subscriber catches up. Keep backpressured subscribers fast (batching) and their queues large.
   */
  static readonly layerBus = <R = never>(options: {
    readonly subscribers: ReadonlyArray<Effect.Effect<Subscriber, never, R>>
    /** Recent events kept for `EventLog` (default 1000). */
    readonly recent?: number | undefined
    /** Capacity of each `subscribe` stream's sliding queue (default 1024). */
    readonly streamCapacity?: number | undefined
    /** How long shutdown waits for a subscriber to drain before interrupting it (default 30 s). */
    readonly shutdownTimeout?: Duration.Input | undefined
  }): Layer.Layer<EventBus | EventLog | Telemetry, never, R> =>
    Layer.effectContext(
      Effect.gen(function* () {
        const subscribers = yield* Effect.forEach(options.subscribers, (s) => s)
        return yield* makeBus({ ...options, subscribers })
      })
    )

  /**
   * The standard bus: JSON attempt logs (sliding), metrics (backpressure) and the batched
   * `EventStore` writer (backpressure), plus any extra subscribers.
   *
   * @example
   * ```ts
   * import { EventWriter, Telemetry } from "@am/telemetry"
   * import { Layer } from "effect"
   * const live = Telemetry.layer({ writer: { batchSize: 500, flushInterval: "2 seconds" } }).pipe(
   *   Layer.provide(EventWriter.layerMemoryStore)
   * )
   * ```
   */
  static readonly layer = (options?: {
    readonly logs?: Parameters<typeof JsonLogs.subscriber>[0] | false | undefined
    readonly metrics?: Parameters<typeof Metrics.subscriber>[0] | undefined
    readonly writer?: EventWriter.WriterOptions | undefined
    readonly subscribers?: ReadonlyArray<Effect.Effect<Subscriber>> | undefined
    readonly recent?: number | undefined
    readonly shutdownTimeout?: Duration.Input | undefined
  }): Layer.Layer<EventBus | EventLog | Telemetry, never, EventStore> =>
    Telemetry.layerBus({
      subscribers: [
        ...(options?.logs === false ? [] : [JsonLogs.subscriber(options?.logs)]),
        Metrics.subscriber(options?.metrics),
        EventWriter.subscriber(options?.writer),
        ...(options?.subscribers ?? [])
      ],
      recent: options?.recent,
      shutdownTimeout: options?.shutdownTimeout
    })
}

interface Slot {
  readonly name: string
  readonly policy: OverflowPolicy
  readonly capacity: number
  readonly queue: Queue.Queue<ResilienceEvent, Cause.Done>
  dropped: number
  /** Events a `handle` subscriber has taken but not finished (lost if it is interrupted). */
  inHand: number
  fiber?: Fiber.Fiber<void>
}

const makeBus = Effect.fnUntraced(function* (options: {
  readonly subscribers: ReadonlyArray<Subscriber>
  readonly recent?: number | undefined
  readonly streamCapacity?: number | undefined
  readonly shutdownTimeout?: Duration.Input | undefined
}) {
  const registry = yield* Metric.MetricRegistry
  const recentMax = Math.max(1, options.recent ?? 1000)
  const recent: Array<ResilienceEvent> = []
  const slots = new Set<Slot>()
  const idle = yield* Deferred.make<void>()
  let closed = false
  let accepted = 0
  let rejected = 0
  let inflight = 0

  const countDrop = (slot: Slot, n: number, reason: "overflow" | "shutdown_timeout" = "overflow") =>
    Metric.update(Metric.withAttributes(eventsDropped, { subscriber: slot.name, reason }), n).pipe(
      Effect.provideService(Metric.MetricRegistry, registry)
    )

  const openSlot = (name: string, policy: OverflowPolicy, capacity: number) =>
    Effect.map(
      policy === "sliding"
        ? Queue.sliding<ResilienceEvent, Cause.Done>(capacity)
        : Queue.bounded<ResilienceEvent, Cause.Done>(capacity),
      (queue): Slot => ({ name, policy, capacity, queue, dropped: 0, inHand: 0 })
    )

  const runHandler = (slot: Slot, s: Subscriber) => {
    const guard = (effect: Effect.Effect<void>) =>
      effect.pipe(
        Effect.catchCause((cause) =>
          Effect.logWarning("telemetry subscriber failed", { subscriber: s.name }, cause).pipe(
            Effect.andThen(Metric.update(Metric.withAttributes(subscriberErrors, { subscriber: s.name }), 1))
          )
        )
      )
    if (s.consume) return guard(s.consume(slot.queue))
    const handle = s.handle ?? (() => Effect.void)
    return Queue.takeBetween(slot.queue, 1, s.maxBatch ?? 256).pipe(
      Effect.flatMap((batch) => {
        slot.inHand = batch.length
        return guard(handle(batch)).pipe(Effect.ensuring(Effect.sync(() => (slot.inHand = 0))))
      }),
      Effect.forever,
      // The queue fails with `Done` once the bus closed and the queue is empty: the loop ends.
      Effect.catch(() => Effect.void)
    )
  }

  for (const s of options.subscribers) {
    const slot = yield* openSlot(s.name, s.policy, s.capacity ?? 1024)
    slot.fiber = yield* Effect.forkDetach(runHandler(slot, s))
    slots.add(slot)
  }

  const release = () => {
    inflight--
    if (closed && inflight === 0) Deferred.doneUnsafe(idle, Effect.void)
  }

  // Untraced on purpose: these run on every request's path, where Effect.fn's span and call-site
  // capture cost ~5–9 µs a call (./am bench engine); the engine's request and attempt spans cover them.
  const publish = Effect.fnUntraced(function* (input: EventInput) {
    yield* Effect.clockWith((clock) =>
      Effect.suspend((): Effect.Effect<void> => {
        if (closed) {
          rejected++
          return Effect.void
        }
        const event = { ...input, at: clock.currentTimeMillisUnsafe() } as ResilienceEvent
        accepted++
        if (recent.length >= recentMax) recent.shift()
        recent.push(event)
        const effects: Array<Effect.Effect<unknown>> = []
        for (const slot of slots) {
          if (slot.policy === "sliding") {
            // Synchronous check-then-offer: exact, nothing runs in between.
            if (Queue.sizeUnsafe(slot.queue) >= slot.capacity) {
              slot.dropped++
              effects.push(countDrop(slot, 1))
            }
            Queue.offerUnsafe(slot.queue, event)
          } else if (!Queue.offerUnsafe(slot.queue, event)) {
            effects.push(
              // `false` only when shutdown timed out waiting for this offer: count it.
              Effect.flatMap(Queue.offer(slot.queue, event), (ok) =>
                ok
                  ? Effect.void
                  : Effect.suspend(() => {
                      slot.dropped++
                      return countDrop(slot, 1, "shutdown_timeout")
                    })
              )
            )
          }
        }
        if (effects.length === 0) return Effect.void
        inflight++
        return Effect.forEach(effects, (e) => e, { discard: true }).pipe(
          Effect.ensuring(Effect.sync(release)),
          Effect.uninterruptible
        )
      })
    )
  })

  const streamCapacity = options.streamCapacity ?? 1024
  const subscribe: Stream.Stream<ResilienceEvent> = Stream.unwrap(
    Effect.gen(function* () {
      const slot = yield* openSlot("stream", "sliding", streamCapacity)
      if (!closed) slots.add(slot)
      else yield* Queue.end(slot.queue)
      yield* Effect.addFinalizer(() => Effect.sync(() => slots.delete(slot)))
      return Stream.fromQueue(slot.queue)
    })
  )

  const shutdownTimeout = options.shutdownTimeout ?? Duration.seconds(30)
  // Drains one subscriber: its loop ends on `Done` once its queue is empty. A subscriber stuck
  // past the timeout is interrupted and whatever it still held is counted as dropped.
  const drain = (slot: Slot) => {
    const fiber = slot.fiber
    if (!fiber) return Effect.void
    return Fiber.join(fiber).pipe(
      Effect.timeoutOption(shutdownTimeout),
      Effect.flatMap((done) =>
        Option.isSome(done)
          ? Effect.void
          : Effect.gen(function* () {
              // Read before interrupting: the handler's finalizer clears `inHand`.
              const lost = Queue.sizeUnsafe(slot.queue) + slot.inHand
              yield* Fiber.interrupt(fiber)
              yield* Effect.logWarning("telemetry subscriber did not drain in time", { subscriber: slot.name, lost })
              slot.dropped += lost
              yield* countDrop(slot, lost, "shutdown_timeout")
            })
      )
    )
  }
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      // Stop intake, then let publishers blocked on a backpressured queue finish their offers.
      closed = true
      if (inflight > 0) yield* Deferred.await(idle).pipe(Effect.timeoutOption(shutdownTimeout))
      for (const slot of slots) yield* Queue.end(slot.queue)
      yield* Effect.forEach(slots, drain, { concurrency: "unbounded", discard: true })
    })
  )

  const stats = Effect.sync(
    (): TelemetryStats => ({
      accepted,
      rejected,
      // Stream subscriptions share the name "stream": their numbers add up.
      subscribers: [...slots].reduce<Record<string, { policy: OverflowPolicy; dropped: number; pending: number }>>(
        (acc, s) => {
          const prev = acc[s.name]
          acc[s.name] = {
            policy: s.policy,
            dropped: (prev?.dropped ?? 0) + s.dropped,
            pending: (prev?.pending ?? 0) + Queue.sizeUnsafe(s.queue)
          }
          return acc
        },
        {}
      )
    })
  ).pipe(Effect.withSpan("Telemetry.stats"))

  return Context.make(EventBus, { publish, subscribe }).pipe(
    Context.add(EventLog, { all: Effect.sync(() => recent.slice()).pipe(Effect.withSpan("EventLog.all")) }),
    Context.add(Telemetry, { stats })
  )
})
