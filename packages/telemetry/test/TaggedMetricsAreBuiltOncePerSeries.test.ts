import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { Metrics } from "../src/index.ts"

describe("Metrics.tagged", () => {
  it.effect("gives one metric per attribute set, and updates through it land in that series", () =>
    Effect.gen(function* () {
      const counter = Metric.counter(`tagged_test_${Math.random().toString(36).slice(2)}`, { incremental: true })
      const a = Metrics.tagged(counter, { route: "chat", status: "200" })
      assert.strictEqual(Metrics.tagged(counter, { route: "chat", status: "200" }), a)
      const b = Metrics.tagged(counter, { route: "chat", status: "502" })
      assert.notStrictEqual(b, a)
      yield* Metric.update(a, 1)
      yield* Metric.update(Metrics.tagged(counter, { route: "chat", status: "200" }), 1)
      yield* Metric.update(b, 1)
      assert.strictEqual((yield* Metric.value(a)).count, 2)
      assert.strictEqual((yield* Metric.value(b)).count, 1)
    })
  )
})
