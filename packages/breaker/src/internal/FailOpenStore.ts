/**
 * A circuit store that fails open quietly: when the underlying store (Redis) cannot admit or
 * record, the call runs unrecorded — exactly `CircuitBreaker`'s own `onStoreError: "allow"` —
 * but the failure is logged once per interval with a count, instead of one ERROR per call.
 *
 * Why a store wrapper and not `References.UnhandledLogLevel`: silencing that reference around
 * `execute` would also silence unrelated reports inside the guarded call (pools, caches), and
 * costs a service provision on every call. Answering a failed admission with an admission that
 * no record can match keeps Effect's state machine untouched: the call runs, its outcome is
 * dropped (as Effect drops the outcome of a call it ran unrecorded), and nothing is logged by it.
 */
import { Cause, Clock, Duration, Effect } from "effect"
import { CircuitBreaker } from "effect/persistence"

type StoreShape = CircuitBreaker.CircuitBreakerStore["Service"]

/** The generation of an admission the store never granted; `record` ignores it. */
const UNRECORDED = -1

const isStoreError = (error: CircuitBreaker.CircuitBreakerError): boolean =>
  error.reason._tag === "CircuitBreakerStoreError"

/**
 * Wraps `store` so store errors in `admit` and `record` never fail a call and are logged at most
 * once per `interval` (the first one at once), each log carrying how many store operations failed
 * since the previous one. The first success after a failure logs once that the store is back.
 */
export const failOpenStore = (store: StoreShape, interval: Duration.Duration): StoreShape => {
  const intervalMs = Duration.toMillis(interval)
  let lastLoggedAt: number | undefined
  let unlogged = 0
  let failing = false

  const failed = (operation: "admit" | "record", error: CircuitBreaker.CircuitBreakerError) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      failing = true
      unlogged++
      if (lastLoggedAt !== undefined && now - lastLoggedAt < intervalMs) return Effect.void
      const count = unlogged
      lastLoggedAt = now
      unlogged = 0
      return Effect.logError(
        `CircuitBreaker store unavailable, running calls unrecorded (${count} failed store operation${count === 1 ? "" : "s"} since the last report; next report in ${Duration.format(interval)} at most)`,
        Cause.fail(error)
      ).pipe(Effect.annotateLogs({ "breaker.store.operation": operation, "breaker.store.failures": count }))
    })

  const recovered: Effect.Effect<void> = Effect.suspend(() => {
    if (!failing) return Effect.void
    failing = false
    const count = unlogged
    unlogged = 0
    lastLoggedAt = undefined
    return Effect.logInfo(
      `CircuitBreaker store available again${count > 0 ? ` (${count} more failed store operations before it came back)` : ""}`
    )
  })

  return CircuitBreaker.CircuitBreakerStore.of({
    admit: (key) =>
      store.admit(key).pipe(
        // Only a store that was failing has a recovery to report: no extra step otherwise.
        (admitted) => (failing ? Effect.tap(admitted, () => recovered) : admitted),
        Effect.catchIf(isStoreError, (error) =>
          Effect.as(failed("admit", error), {
            generation: UNRECORDED,
            probe: false,
            consecutiveOpenings: 0,
            transition: undefined
          } satisfies CircuitBreaker.Admission)
        )
      ),
    record: (options) =>
      options.generation === UNRECORDED
        ? Effect.succeed(undefined)
        : store
            .record(options)
            .pipe(Effect.catchIf(isStoreError, (error) => Effect.as(failed("record", error), undefined))),
    state: store.state
  })
}
