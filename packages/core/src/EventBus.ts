/**
 * The event bus interface. `@am/telemetry` provides the production bus (bounded PubSub with
 * explicit overflow policy per subscriber); this module gives the interface, a no-op layer and a
 * recording layer that tests and the demo use.
 *
 * @example
 * ```ts
 * import { EventBus } from "@am/core"
 * import { Effect } from "effect"
 * const program = EventBus.use((bus) => bus.publish({ topic: "resource.healed.all", provider: "primary" }))
 * Effect.runSync(program.pipe(Effect.provide(EventBus.layerNoop)))
 * ```
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, PubSub, Stream } from "effect"
import type { EventInput, ResilienceEvent } from "./ResilienceEvent.ts"

export interface EventBusShape {
  /** Publishes an event; stamps `at` from the Clock. Never fails; never blocks the caller for long. */
  readonly publish: (event: EventInput) => Effect.Effect<void>
  /** Live events from now on. */
  readonly subscribe: Stream.Stream<ResilienceEvent>
}

/** Most events `EventBus.layerMemory` keeps for `EventLog`. */
export const MAX_LOG = 20_000

export class EventBus extends Context.Service<EventBus, EventBusShape>()("@am/core/EventBus") {
  /** Drops every event. */
  static readonly layerNoop = Layer.succeed(EventBus, { publish: () => Effect.void, subscribe: Stream.empty })

  /**
   * An in-process bus over a sliding `PubSub` (a slow live view loses the oldest events, never
   * the publisher's time) that also keeps the most recent `MAX_LOG` events in memory for inspection (`EventLog`).
   */
  static readonly layerMemory = Layer.effectContext(
    Effect.gen(function* () {
      const pubsub = yield* PubSub.sliding<ResilienceEvent>(4096)
      const log: Array<ResilienceEvent> = []
      // One synchronous step per event (publishing is on every request's path): the log is
      // append-only and only this function writes it; the sliding PubSub never blocks.
      // Untraced on purpose (every request's path; see the production bus in @am/telemetry).
      const publish = Effect.fnUntraced(function* (event: EventInput) {
        const at = yield* Clock.currentTimeMillis
        const full = { ...event, at } as ResilienceEvent
        // Bounded: keep the most recent events (drop the oldest half when full, amortised O(1)).
        if (log.length >= MAX_LOG) log.splice(0, MAX_LOG / 2)
        log.push(full)
        PubSub.publishUnsafe(pubsub, full)
      })
      return Context.make(EventBus, { publish, subscribe: Stream.fromPubSub(pubsub) }).pipe(
        Context.add(EventLog, { all: Effect.sync(() => log.slice()).pipe(Effect.withSpan("EventLog.all")) })
      )
    })
  )
}

/** Every event the memory bus has seen (tests and the demo's summary read it). */
export class EventLog extends Context.Service<
  EventLog,
  { readonly all: Effect.Effect<ReadonlyArray<ResilienceEvent>> }
>()("@am/core/EventLog") {}
