/**
 * One store's guard: every call is bounded by the store's timeout and goes through a circuit
 * breaker of its own (`effect/persistence` `CircuitBreaker`, in memory — a store's health is a
 * property of this process's connection to it). A call that times out, fails on the
 * connection, or finds the circuit open fails at once with the error the caller already
 * handles as a refusal (the ledger and the run journal spool, the state services fall back to
 * local state), so a hanging store costs a request at most one timeout, and none once the
 * circuit is open.
 *
 * The call runs on a detached fiber that the guard stops waiting for at the timeout: a driver
 * whose interruption itself hangs (a socket that never answers) cannot hold the caller.
 *
 * @internal
 */
import { Cause, Duration, Effect, Exit, Fiber, Option, Schedule, type Scope } from "effect"
import { CircuitBreaker } from "effect/persistence"

export type CircuitStatus = "closed" | "open" | "half_open"

export interface GuardStatus {
  readonly circuit: CircuitStatus
  /** The last failure's message (timeouts included), while the circuit is not closed. */
  readonly lastError?: string
}

export interface GuardOptions {
  /** Longest a call may take. */
  readonly timeoutMs: number
  /** Consecutive failures that open the circuit (default 3). */
  readonly failures?: number
  /** First open period; doubles per consecutive opening up to `maxOpenMs` (default 500 ms → 5 s). */
  readonly openMs?: number
  readonly maxOpenMs?: number
}

export interface StoreGuard {
  readonly name: string
  /**
   * Runs `call` bounded and behind the breaker; `fail` turns a timeout or an open circuit into
   * the caller's error type. Errors for which `healthy` holds (a conflict: the store answered)
   * do not count against the store.
   */
  readonly run: <A, E>(
    call: Effect.Effect<A, E>,
    fail: (message: string) => E,
    healthy?: (error: E) => boolean
  ) => Effect.Effect<A, E>
  readonly status: Effect.Effect<GuardStatus>
}

class Timeout {
  readonly _tag = "Timeout"
}

/** Runs `self` on a detached fiber and stops waiting after `ms` (the fiber is interrupted in the background). */
export const bounded = <A, E>(self: Effect.Effect<A, E>, ms: number): Effect.Effect<A, E | Timeout> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.forkDetach(self), (fiber) =>
      restore(Fiber.join(fiber)).pipe(
        Effect.timeoutOrElse({ duration: Duration.millis(ms), orElse: () => Effect.fail(new Timeout()) }),
        // Timed out or abandoned: stop the call in the background, never waiting for it.
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) || (!Cause.hasInterrupts(exit.cause) && !isTimeout(exit))
            ? Effect.void
            : Effect.asVoid(Effect.forkDetach(Fiber.interrupt(fiber)))
        )
      )
    )
  )

const isTimeout = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) && Option.exists(Cause.findErrorOption(exit.cause), (e) => e instanceof Timeout)

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/** Builds a guard for the store `name`; its breaker lives as long as the scope. */
export const make: (name: string, options: GuardOptions) => Effect.Effect<StoreGuard, never, Scope.Scope> =
  Effect.fnUntraced(function* (name: string, options: GuardOptions) {
    const maxOpen = Duration.millis(options.maxOpenMs ?? 5000)
    const breaker = yield* CircuitBreaker.make({
      tripPolicy: CircuitBreaker.consecutive(options.failures ?? 3),
      // Capped here: `maxOpenDuration` caps only a Retry-After hint, never the schedule, so an
      // uncapped exponential kept a store's circuit open for minutes after a long outage ended
      // (0.5, 1, 2, … 256 s), holding the spools back long after the store answered again.
      openDuration: Schedule.min([
        Schedule.exponential(Duration.millis(options.openMs ?? 500)),
        Schedule.spaced(maxOpen)
      ]),
      maxOpenDuration: maxOpen
    }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))
    let lastError: string | undefined
    const run = <A, E>(
      call: Effect.Effect<A, E>,
      fail: (message: string) => E,
      healthy?: (error: E) => boolean
    ): Effect.Effect<A, E> =>
      bounded(call, options.timeoutMs).pipe(
        breaker.execute({
          key: name,
          classify: (exit) =>
            Exit.isSuccess(exit)
              ? CircuitBreaker.success
              : Option.match(Cause.findErrorOption(exit.cause), {
                  onNone: () => CircuitBreaker.failure(),
                  onSome: (error) =>
                    !(error instanceof Timeout) && healthy?.(error) === true
                      ? CircuitBreaker.success
                      : CircuitBreaker.failure()
                })
        }),
        Effect.catch((error: E | Timeout | CircuitBreaker.CircuitBreakerError) =>
          Effect.suspend(() => {
            const open = error instanceof CircuitBreaker.CircuitBreakerError
            const message =
              error instanceof Timeout
                ? `${name} did not answer within ${options.timeoutMs} ms`
                : open
                  ? `${name} circuit open (recent calls failed: ${lastError ?? "unknown"})`
                  : messageOf(error)
            if (!open && (healthy === undefined || !healthy(error as E))) lastError = message
            return Effect.fail(error instanceof Timeout || open ? fail(message) : (error as E))
          })
        )
      )
    const status = breaker.state(name).pipe(
      Effect.map((state): GuardStatus => {
        const circuit: CircuitStatus = state._tag === "Closed" ? "closed" : state._tag === "Open" ? "open" : "half_open"
        return circuit === "closed" || lastError === undefined ? { circuit } : { circuit, lastError }
      }),
      Effect.orElseSucceed((): GuardStatus => ({ circuit: "closed" }))
    )
    return { name, run, status } satisfies StoreGuard
  })
