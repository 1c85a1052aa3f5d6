// The flapping-primary scenario of the fault benchmark on TestClock: the primary is down for the
// first 60 s, a request arrives every 4 s; each request tries the primary (and one backoff retry on
// it, as the engine does for a provider-scoped failure) through the breakers, then the fallback.
// With the default policy the circuit's openings are capped, its half-open probe lets one request
// through per interval, and a successful probe closes it: traffic is back on the primary within
// 30 s of its recovery. The old defaults (30 s doubling, 5-minute cap) do not get there.
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { type BreakersConfig, CircuitOpen } from "../src/index.ts"
import { failWith, harness, makeUpstream, ok, providerDown } from "./support.ts"

const target = { provider: "primary", model: "gpt-4o" }
const RECOVERS_AT = 60_000
const EVERY = 4_000
const REQUESTS = 30 // 0 … 116 s

interface Served {
  readonly at: number
  readonly by: "primary" | "fallback"
}

/** Plays the scenario from `startAt` ms; returns who served each request and how often the primary was called. */
const play = (startAt: number) =>
  Effect.gen(function* () {
    const upstream = yield* makeUpstream
    const primary = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      now < RECOVERS_AT ? failWith(providerDown()) : ok
    )
    const outageCalls: Array<number> = []
    const served: Array<Served> = []
    yield* TestClock.adjust(startAt)
    for (let i = 0; i < REQUESTS; i++) {
      const at = yield* Clock.currentTimeMillis
      const before = yield* upstream.calls
      // The first attempt and one retry 200 ms later; a rejection goes straight to the fallback.
      const attempt = upstream.call(target, primary)
      const outcome = yield* attempt.pipe(
        Effect.catchIf(
          (e) => !(e instanceof CircuitOpen),
          () => Effect.andThen(TestClock.adjust(200), attempt)
        ),
        Effect.as("primary" as const),
        Effect.catch(() => Effect.succeed("fallback" as const))
      )
      served.push({ at, by: outcome })
      const calls = (yield* upstream.calls) - before
      if (at < RECOVERS_AT) for (let c = 0; c < calls; c++) outageCalls.push(at)
      const spent = (yield* Clock.currentTimeMillis) - at
      yield* TestClock.adjust(EVERY - spent)
    }
    return { served, outageCalls }
  })

const backOnPrimary = (served: ReadonlyArray<Served>): number | undefined => {
  // The first request after recovery from which every later request is served by the primary.
  const after = served.filter((s) => s.at >= RECOVERS_AT)
  const firstSteady = after.findIndex((_, i) => after.slice(i).every((s) => s.by === "primary"))
  return firstSteady < 0 ? undefined : after[firstSteady]!.at
}

const policies: ReadonlyArray<readonly [string, BreakersConfig]> = [
  ["the default policy", {}],
  ["consecutiveFailures 3, openFor 5 s", { defaults: { consecutiveFailures: 3, openFor: "5 seconds" } }],
  ["failure rate 50 % over 6 calls", { defaults: { failureRate: { threshold: 0.5, window: 6 } } }]
]

describe("a flapping primary (down 60 s, a request every 4 s) gets its traffic back within 30 s", () => {
  for (const [name, config] of policies) {
    for (const startAt of [0, 1_000, 2_500, 3_900]) {
      it.effect(`${name}, first request at ${startAt} ms`, () =>
        Effect.gen(function* () {
          const { served, outageCalls } = yield* play(startAt)
          const back = backOnPrimary(served)
          assert.isDefined(back, `never back on the primary: ${JSON.stringify(served)}`)
          assert.isAtMost(back! - RECOVERS_AT, 30_000, `back on the primary ${back! - RECOVERS_AT} ms after recovery`)
          // No hammering: after the trip the down primary sees one probe per open interval, not every request.
          const requestsDuringOutage = served.filter((s) => s.at < RECOVERS_AT).length
          assert.isBelow(outageCalls.length, requestsDuringOutage, `${outageCalls.length} calls to a down primary`)
        }).pipe(Effect.provide(harness(config)))
      )
    }
  }

  it.effect("under the old defaults (30 s doubling, capped at 5 minutes) it would not be back in time", () =>
    Effect.gen(function* () {
      const { served } = yield* play(0)
      const back = backOnPrimary(served)
      assert.isTrue(back === undefined || back - RECOVERS_AT > 30_000, `back at ${back}`)
    }).pipe(Effect.provide(harness({ defaults: { openFor: "30 seconds", maxOpenFor: "5 minutes" } })))
  )
})
