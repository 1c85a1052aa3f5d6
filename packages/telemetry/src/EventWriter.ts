/**
 * The batched time-series writer: a backpressured subscriber that writes events to
 * `EventStore` in batches, flushing when a batch is full or when its oldest event has waited
 * `flushInterval`, whichever comes first. On shutdown it writes what is left.
 *
 * @example
 * ```ts
 * import { EventWriter, Telemetry } from "@am/telemetry"
 * import { Layer } from "effect"
 * const layer = Telemetry.layerBus({ subscribers: [EventWriter.subscriber({ batchSize: 500 })] }).pipe(
 *   Layer.provide(EventWriter.layerMemoryStore)
 * )
 * ```
 * @since 0.1.0
 */
import { EventStore, type ResilienceEvent, type StoreError, Tracing } from "@am/core"
import { Duration, Effect, Layer, Metric, Option, Queue, Schedule } from "effect"
import { eventsDropped } from "./Metrics.ts"
import type { Subscriber, SubscriberQueue } from "./Telemetry.ts"

export interface WriterOptions {
  /** Events per write (default 256). */
  readonly batchSize?: number | undefined
  /** Longest an event waits before it is written (default 1 s). */
  readonly flushInterval?: Duration.Input | undefined
  /** Queue capacity (default 8192); when full, publishers wait. */
  readonly capacity?: number | undefined
  /** Retries of a failed write (default: exponential from 100 ms, 5 times); then the batch is counted as dropped. */
  readonly retry?: Schedule.Schedule<unknown, StoreError> | undefined
  readonly name?: string | undefined
}

/** Takes up to `n` events, waiting at most `wait`; an ended queue yields what is left (or nothing). */
const takeUpTo = (queue: SubscriberQueue, n: number, wait: Duration.Duration) =>
  Queue.takeBetween(queue, n, n).pipe(
    Effect.timeoutOption(wait),
    Effect.flatMap(Option.match({ onSome: Effect.succeed, onNone: () => Queue.takeBetween(queue, 0, n) })),
    Effect.catch(() => Effect.succeed([] as ReadonlyArray<ResilienceEvent>))
  )

/** The writer's subscriber (backpressure: it never drops an event while the store works). */
export const subscriber: (options?: WriterOptions) => Effect.Effect<Subscriber, never, EventStore> = Effect.fnUntraced(
  function* (options?: WriterOptions) {
    const store = yield* EventStore
    const name = options?.name ?? "writer"
    const batchSize = Math.max(1, options?.batchSize ?? 256)
    const interval = Duration.fromInputUnsafe(options?.flushInterval ?? Duration.seconds(1))
    const retry = options?.retry ?? Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(5)])
    const write = Tracing.fn("EventWriter.write")(function* (batch: ReadonlyArray<ResilienceEvent>) {
      yield* store.write(batch).pipe(
        Effect.retry(retry),
        Effect.catch((error) =>
          Effect.logError("event batch lost after retries", { subscriber: name, events: batch.length, error }).pipe(
            Effect.andThen(
              Metric.update(
                Metric.withAttributes(eventsDropped, { subscriber: name, reason: "store_error" }),
                batch.length
              )
            )
          )
        )
      )
    })
    // One cycle: wait for a first event, then fill the batch until full or the interval is up.
    const cycle = (queue: SubscriberQueue) =>
      Queue.takeBetween(queue, 1, batchSize).pipe(
        Effect.flatMap((first) =>
          first.length >= batchSize
            ? Effect.succeed(first)
            : Effect.map(takeUpTo(queue, batchSize - first.length, interval), (rest) => [...first, ...rest])
        ),
        Effect.flatMap(write)
      )
    return {
      name,
      policy: "backpressure",
      capacity: options?.capacity ?? 8192,
      // Ends when the queue ends (`Done`): every accepted event has been written by then.
      consume: (queue) =>
        cycle(queue).pipe(
          Effect.forever,
          Effect.catch(() => Effect.void)
        )
    } satisfies Subscriber
  }
)

/**
 * An in-memory `EventStore` (tests, the demo): keeps every written event; `since` returns events
 * with `at >= since`, oldest first.
 */
export const layerMemoryStore: Layer.Layer<EventStore> = Layer.suspend(() => layerMemoryStoreBounded(Infinity))

/** An in-memory `EventStore` keeping only the newest `maxEvents` (bounded memory in a long-running process). */
export const layerMemoryStoreBounded = (maxEvents: number): Layer.Layer<EventStore> =>
  Layer.sync(EventStore, () => {
    const events: Array<ResilienceEvent> = []
    // Trimmed in chunks (an eighth over the bound) so the cost is amortised.
    const slack = Number.isFinite(maxEvents) ? Math.ceil(maxEvents / 8) : 0
    return {
      // biome-ignore lint/correctness/useYield: a synchronous body, traced by Effect.fn
      write: Tracing.fn("EventStore.write")(function* (batch: ReadonlyArray<ResilienceEvent>) {
        for (const e of batch) events.push(e)
        if (events.length > maxEvents + slack) events.splice(0, events.length - maxEvents)
      }),
      since: Tracing.fn("EventStore.since")(function* (at: number, limit: number) {
        return events.filter((e) => e.at >= at).slice(0, limit)
      })
    }
  })
