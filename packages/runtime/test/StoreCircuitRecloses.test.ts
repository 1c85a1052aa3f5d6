/**
 * A store's circuit (the guard every Postgres and Redis call goes through) re-closes soon after a
 * long outage ends: its open time doubles from 0.5 s per consecutive opening but never exceeds
 * 5 s, so however long the store was away, the first call at most 5 s after it returns is the
 * probe, and its success closes the circuit. (Effect's `maxOpenDuration` caps only a Retry-After
 * hint; uncapped, the 20th opening of a long outage would last 0.5 s × 2^19.)
 * TestClock: no real time passes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as StoreGuard from "../src/internal/StoreGuard.ts"

class Down {
  readonly _tag = "Down"
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

describe("a store's circuit", () => {
  it.effect("re-closes within its capped open time after a long outage", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const guard = yield* StoreGuard.make("postgres", { timeoutMs: 100 })
        let up = false
        let ran = 0
        const call = Effect.suspend(() => {
          ran++
          return up ? Effect.succeed("ok") : Effect.fail(new Down("connection refused"))
        })
        const refuse = (message: string) => new Down(message)
        const once = Effect.result(guard.run(call, refuse))

        // A long outage: three failures open the circuit, then every probe fails and reopens it.
        for (let i = 0; i < 3; i++) yield* once
        assert.strictEqual((yield* guard.status).circuit, "open")
        for (let opening = 0; opening < 20; opening++) {
          yield* TestClock.adjust("5 seconds")
          const before = ran
          yield* once
          assert.strictEqual(ran, before + 1, `the probe after opening ${opening + 1} ran (open time capped at 5 s)`)
          assert.strictEqual((yield* guard.status).circuit, "open")
        }

        // The store is back: at most 5 s later the next call is the probe, and it closes the circuit.
        up = true
        const rejected = yield* once
        assert.strictEqual(rejected._tag, "Failure", "still open right after the last failed probe")
        yield* TestClock.adjust("5 seconds")
        const probe = yield* once
        assert.strictEqual(probe._tag, "Success")
        assert.strictEqual((yield* guard.status).circuit, "closed")
      })
    )
  )
})
