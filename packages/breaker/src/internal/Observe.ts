import { type EventBus, RequestContext } from "@am/core"
import type { EventInput } from "@am/core"
import { Duration, Effect, Option } from "effect"
import { CircuitBreaker } from "effect/persistence"

/** What a breaker key guards. */
export interface BreakerOwner {
  readonly name: string
  readonly provider: string
  readonly model?: string
}

type StoreShape = CircuitBreaker.CircuitBreakerStore["Service"]

/** The request id of the calling fiber, when the engine provided a RequestContext. */
export const currentRequestId: Effect.Effect<string | undefined> = Effect.map(
  Effect.serviceOption(RequestContext),
  (ctx) => (Option.isSome(ctx) ? ctx.value.requestId : undefined)
)

/** Publishes one breaker event stamped with the calling request's id. */
export const publishFor = (
  bus: EventBus["Service"],
  owner: BreakerOwner,
  event:
    | { readonly topic: "circuit.tripped"; readonly openForMs: number }
    | { readonly topic: "circuit.half_open" | "circuit.reset" | "circuit.rejected" }
): Effect.Effect<void> =>
  Effect.flatMap(currentRequestId, (requestId) =>
    bus.publish({
      ...event,
      breaker: owner.name,
      provider: owner.provider,
      ...(owner.model === undefined ? {} : { model: owner.model }),
      ...(requestId === undefined ? {} : { requestId })
    } as EventInput)
  )

/**
 * Wraps a store so every transition it reports becomes an event on the bus, published in the
 * fiber that caused it (so the event carries that request's id and precedes the call's answer).
 * The store's semantics are untouched: this only taps `admit` and `record`.
 */
export const observeStore = (
  store: StoreShape,
  bus: EventBus["Service"],
  ownerOf: (key: string) => BreakerOwner
): StoreShape => {
  const emit = (transition: CircuitBreaker.Transition | undefined): Effect.Effect<void> => {
    if (transition === undefined) return Effect.void
    const owner = ownerOf(transition.key)
    switch (transition.to) {
      case "Open":
        return publishFor(bus, owner, {
          topic: "circuit.tripped",
          openForMs: Duration.toMillis(transition.retryAfter)
        })
      case "HalfOpen":
        return publishFor(bus, owner, { topic: "circuit.half_open" })
      case "Closed":
        return publishFor(bus, owner, { topic: "circuit.reset" })
    }
  }
  return CircuitBreaker.CircuitBreakerStore.of({
    admit: (key) => Effect.tap(store.admit(key), (admission) => emit(admission.transition)),
    record: (options) => Effect.tap(store.record(options), emit),
    state: store.state
  })
}
