import { type Classification, EventBus, EventLog, type FailureClass, type FailureScope } from "@am/core"
import type { ResilienceEvent } from "@am/core"
import { Effect, Layer, Ref, Schema } from "effect"
import { type BreakersConfig, Breakers, type BreakerTarget } from "../src/index.ts"

/** A scripted upstream failure that carries the classification the test wants the breaker to see. */
export class Upstream extends Schema.TaggedError<Upstream>()("Upstream", {
  cls: Schema.String,
  scope: Schema.String,
  retryAfterMs: Schema.optionalKey(Schema.Number)
}) {}

// An error it does not recognise classifies as `unknown` at provider scope, as the real classifier
// does; so were the breakers to hand it anything but the upstream's own failures, they would count.
export const classify = (e: Upstream): Classification =>
  e instanceof Upstream
    ? {
        class: e.cls as FailureClass,
        scope: e.scope as FailureScope,
        retryable: e.scope === "provider",
        errorType: e.cls,
        rule: `test.${e.cls}`,
        ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs })
      }
    : { class: "unknown", scope: "provider", retryable: true, errorType: "unknown", rule: "test.unknown" }

export const failure = (scope: FailureScope, cls: FailureClass, retryAfterMs?: number) =>
  new Upstream({ cls, scope, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })

export const providerDown = (retryAfterMs?: number) => failure("provider", "server_error", retryAfterMs)

/** Breakers over a memory store, with the recording event bus (EventBus + EventLog) exposed too. */
export const harness = (config?: BreakersConfig) =>
  Breakers.layerMemory(config).pipe(Layer.provideMerge(EventBus.layerMemory))

/** Calls the target through the breakers; `calls` counts how often the upstream actually ran. */
export const makeUpstream = Effect.gen(function* () {
  const calls = yield* Ref.make(0)
  const call = <A>(target: BreakerTarget, outcome: Effect.Effect<A, Upstream>) =>
    Breakers.use((b) =>
      b.run(
        target,
        Effect.andThen(
          Ref.update(calls, (n) => n + 1),
          outcome
        ),
        classify
      )
    )
  return { calls: Ref.get(calls), call }
})

/** The call fails with `error`; the breaker outcome is whatever the classification says. */
export const failWith = (error: Upstream) => Effect.fail(error)
export const ok = Effect.succeed("ok")

export const circuitEvents: Effect.Effect<Array<ResilienceEvent>, never, EventLog> = EventLog.use((log) =>
  Effect.map(log.all, (events) => events.filter((e) => e.topic.startsWith("circuit.")))
)

/** Events without the timestamp, for exact comparisons. */
export const strip = (events: ReadonlyArray<ResilienceEvent>) =>
  events.map(({ at: _at, ...rest }) => rest as Record<string, unknown>)
