// Property: 1,000 requests over 300 keys (every key at least once, 700 repeats, shuffled), sent
// 20 at a time with waiting on, under a random mix of upstream failures and interruptions.
// Upstream calls = distinct keys that succeeded + the failed or interrupted calls (each key
// succeeds upstream at most once), and every answer for a key is that one success.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import fc from "fast-check"
import { requestHash } from "../src/index.ts"
import { backends } from "./support.ts"

type Fault = "ok" | "fail" | "interrupt"

const scenario = fc.record({
  repeats: fc.array(fc.nat(299), { minLength: 700, maxLength: 700 }),
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1000, maxLength: 1000 }),
  faults: fc.array(fc.constantFrom<Fault>("ok", "ok", "ok", "fail", "interrupt"), { minLength: 1000, maxLength: 1000 })
})

for (const backend of backends) {
  describe.skipIf(backend.skip)(`random faults on ${backend.name}`, () => {
    it.live("upstream calls equal distinct keys that succeeded plus the failed calls", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(scenario, (s) =>
            Effect.runPromise(
              Effect.scoped(
                Effect.gen(function* () {
                  const [a, b] = yield* backend.replicas({ pollInterval: "5 millis" })
                  const keys = [...Array.from({ length: 300 }, (_, i) => i), ...s.repeats]
                    .map((key, i) => ({ key, at: s.order[i] ?? 0, fault: s.faults[i] ?? "ok" }))
                    .sort((x, y) => x.at - y.at)
                  let calls = 0
                  let failedCalls = 0
                  const successes = new Map<number, Array<string>>()
                  const answers = yield* Effect.forEach(
                    keys,
                    ({ key, fault }, i) => {
                      const call = Effect.suspend(() => {
                        calls++
                        if (fault === "fail") {
                          failedCalls++
                          return Effect.fail("upstream 503")
                        }
                        if (fault === "interrupt") {
                          failedCalls++
                          return Effect.interrupt
                        }
                        const value = `answer ${key} from call ${calls}`
                        successes.set(key, [...(successes.get(key) ?? []), value])
                        return Effect.succeed({ requestId: `req-${i}`, value })
                      })
                      const replica = i % 2 === 0 ? a : b
                      return Effect.exit(
                        replica.run(
                          Schema.String,
                          { workspace: "w", key: `key-${key}`, requestHash: requestHash({ key }), wait: true },
                          call
                        )
                      ).pipe(Effect.map((exit) => ({ key, exit })))
                    },
                    { concurrency: 20 }
                  )
                  for (const [, values] of successes) assert.strictEqual(values.length, 1)
                  assert.strictEqual(calls, successes.size + failedCalls)
                  let replayed = 0
                  for (const { key, exit } of answers) {
                    if (Exit.isSuccess(exit)) {
                      assert.strictEqual(exit.value.value, successes.get(key)?.[0])
                      if (exit.value.replayed) replayed++
                    }
                  }
                  const answered = answers.filter((r) => Exit.isSuccess(r.exit)).length
                  assert.strictEqual(replayed, answered - successes.size)
                  // Every request that did not get an answer is one whose own call failed: none was
                  // refused as in progress or reused while waiting.
                  assert.strictEqual(answers.length - answered, failedCalls)
                })
              )
            )
          ),
          { numRuns: backend.name === "memory" ? 3 : 1 }
        )
      )
    )
  })
}
