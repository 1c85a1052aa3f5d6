/**
 * Every failure the adapter can produce for a call, JSON-scanned (and its message and string
 * form) for the key's secret: only the key id and fingerprint may appear.
 */
import { FaultNames, type Step } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { call, harness, keyA, SECRET_A } from "./support.ts"

const scan = (value: unknown, where: string) => {
  const text = [JSON.stringify(value), String(value), (value as { message?: string }).message ?? ""].join("\n")
  assert.notInclude(text, SECRET_A, where)
  assert.notInclude(text, SECRET_A.slice(-16), where)
}

describe("secrets", () => {
  it.effect("no ProviderFailure from any fault carries the secret (JSON and stream)", () =>
    Effect.gen(function* () {
      // Every fault, with the message override echoing the secret where the fault renders a message.
      const steps: ReadonlyArray<Step> = FaultNames.filter((f) => f !== "hang" && f !== "stall").flatMap((fault) => [
        { fault, message: `bad key ${SECRET_A} (Bearer ${SECRET_A})` }
      ])
      const h = yield* harness({ script: [{ sequence: [...steps, ...steps] }] })
      let failures = 0
      let redacted = 0
      const count = (exit: unknown) => {
        if (JSON.stringify(exit).includes("[REDACTED]")) redacted++
      }
      for (const step of steps) {
        const exit = yield* Effect.exit(h.provider.complete(call({ key: keyA })))
        if (exit._tag === "Failure") failures++
        count(exit)
        scan(exit, `complete ${JSON.stringify(step).slice(0, 40)}`)
      }
      for (const step of steps) {
        const exit = yield* Effect.exit(Stream.runCollect(h.provider.stream(call({ key: keyA }))))
        if (exit._tag === "Failure") failures++
        count(exit)
        scan(exit, `stream ${JSON.stringify(step).slice(0, 40)}`)
      }
      assert.isAbove(failures, 20, "the scan saw real failures")
      assert.isAbove(redacted, 20, "the upstream echoed the secret and the adapter removed it")
    }).pipe(Effect.scoped)
  )

  it.effect("a timeout failure carries the key id and fingerprint only", () =>
    Effect.gen(function* () {
      const h = yield* harness({ script: [{ sequence: ["hang"] }] })
      const fiber = yield* Effect.forkChild(Effect.flip(h.provider.complete(call({ timeoutMs: 1_000 }))))
      yield* Effect.promise(() => h.fetchStarted(0))
      yield* TestClock.adjust(1_000)
      const f = yield* Fiber.join(fiber)
      assert.strictEqual(f.keyId, keyA.id)
      assert.strictEqual(f.keyFingerprint, keyA.fingerprint)
      scan(f, "timeout")
    }).pipe(Effect.scoped)
  )
})
