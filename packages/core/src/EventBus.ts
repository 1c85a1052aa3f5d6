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
import { Clock, Context, Effect, Layer, PubSub, Ref, Stream } from "effect"
import type { EventInput, ResilienceEvent } from "./ResilienceEvent.ts"

export interface EventBusShape {
  /** Publishes an event; stamps `at` from the Clock. Never fails; never blocks the caller for long. */
  readonly publish: (event: EventInput) => Effect.Effect<void>
  /** Live events from now on. */
  readonly subscribe: Stream.Stream<ResilienceEvent>
}

export class EventBus extends Context.Service<EventBus, EventBusShape>()("@am/core/EventBus") {
  /** Drops every event. */
  static readonly layerNoop = Layer.succeed(EventBus, { publish: () => Effect.void, subscribe: Stream.empty })

  /**
   * An in-process bus over a sliding `PubSub` (a slow live view loses the oldest events, never
   * the publisher's time) that also keeps every event in memory for inspection (`EventLog`).
   */
  static readonly layerMemory = Layer.effectContext(
    Effect.gen(function* () {
      const pubsub = yield* PubSub.sliding<ResilienceEvent>(4096)
      const log = yield* Ref.make<Array<ResilienceEvent>>([])
      const publish = (event: EventInput) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) => {
          const full = { ...event, at } as ResilienceEvent
          return Ref.update(log, (xs) => {
            xs.push(full)
            return xs
          }).pipe(Effect.andThen(PubSub.publish(pubsub, full)), Effect.asVoid)
        })
      return Context.make(EventBus, { publish, subscribe: Stream.fromPubSub(pubsub) }).pipe(
        Context.add(EventLog, { all: Ref.get(log).pipe(Effect.map((xs) => xs.slice())) })
      )
    })
  )
}

/** Every event the memory bus has seen (tests and the demo's summary read it). */
export class EventLog extends Context.Service<
  EventLog,
  { readonly all: Effect.Effect<ReadonlyArray<ResilienceEvent>> }
>()("@am/core/EventLog") {}
