import { ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Exit, Schema } from "effect"
import { TestClock } from "effect/testing"
import { type KeyOutcome, Keyring } from "../src/index.ts"
import { events, failure, makeKeys, secretOf, success, backends } from "./fixtures.ts"

const SECRETS = [1, 2, 3].map(secretOf)

const assertNoSecret = (label: string, value: unknown) => {
  const text = `${JSON.stringify(value)}\n${String(value)}`
  for (const secret of SECRETS) assert.notInclude(text, secret, label)
  // Not even a recognisable prefix of one.
  assert.notInclude(text, "SECRET", label)
}

const outcomes: ReadonlyArray<KeyOutcome> = [
  success,
  failure("rate_limit", { retryAfterMs: 2_000 }),
  failure("quota_exhausted"),
  failure("auth_invalid"),
  failure("permission_denied"),
  failure("server_error"),
  failure("overloaded", { scope: "provider" })
]

type Op =
  | { readonly op: "lease"; readonly model: number; readonly exclude: number }
  | { readonly op: "report"; readonly model: number; readonly key: number; readonly outcome: number }
  | { readonly op: "enable" | "disable"; readonly key: number }
  | { readonly op: "wait"; readonly ms: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("lease" as const), model: fc.nat(1), exclude: fc.nat(3) }),
  fc.record({
    op: fc.constant("report" as const),
    model: fc.nat(1),
    key: fc.nat(2),
    outcome: fc.nat(outcomes.length - 1)
  }),
  fc.record({ op: fc.constantFrom("enable" as const, "disable" as const), key: fc.nat(2) }),
  fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 700_000 }) })
)

describe.each(backends)("no secret leaves the keyring except in the leased ApiKey ($name)", ({ testLayer }) => {
  it.effect("snapshots, events and NoHealthyKey errors never contain a secret, over random operation scripts", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (script) => {
          const program = Effect.gen(function* () {
            const keyring = yield* Keyring
            const seen: Array<unknown> = []
            yield* Effect.forEach(script, (step) => {
              const model = `model-${"model" in step ? step.model : 0}`
              switch (step.op) {
                case "lease":
                  return keyring
                    .lease("p", model, { exclude: step.exclude === 3 ? [] : [`k${step.exclude + 1}`] })
                    .pipe(
                      Effect.exit,
                      Effect.map((exit) =>
                        seen.push(
                          Exit.isFailure(exit)
                            ? [exit.cause, exit]
                            : { id: exit.value.id, fingerprint: exit.value.fingerprint, secret: exit.value.secret }
                        )
                      )
                    )
                case "report":
                  return keyring.report("p", model, `k${step.key + 1}`, outcomes[step.outcome]!)
                case "enable":
                  return keyring.enable("p", `k${step.key + 1}`)
                case "disable":
                  return keyring.disable("p", `k${step.key + 1}`, "operator")
                case "wait":
                  return TestClock.adjust(step.ms)
              }
            })
            seen.push(yield* keyring.snapshot)
            const all = yield* events
            // Every event is a valid ResilienceEvent with the schema's fields only (no stray key object).
            for (const e of all) Schema.decodeUnknownSync(ResilienceEvent)(e, { onExcessProperty: "error" })
            seen.push(all)
            assertNoSecret("keyring output", seen)
          })
          await Effect.runPromise(
            program.pipe(
              Effect.provide(
                testLayer({ pools: { p: { keys: makeKeys(3) } }, policy: { disabledRecheck: "5 minutes" } })
              ),
              Effect.provide(TestClock.layer())
            )
          )
        }),
        { numRuns: 150, seed: 20_260_101 }
      )
    )
  )

  it.effect("the events carry id and fingerprint, and the error names only provider, model and time", () =>
    Effect.gen(function* () {
      const keyring = yield* Keyring
      yield* keyring.report("p", "m", "k1", failure("rate_limit", { retryAfterMs: 5_000 }))
      yield* keyring.report("p", "m", "k2", failure("quota_exhausted"))
      yield* keyring.report("p", "m", "k3", failure("auth_invalid"))
      const err = yield* Effect.flip(keyring.lease("p", "m"))
      assertNoSecret("error", err)
      assertNoSecret("error message", err.message)
      assert.deepStrictEqual(Object.keys(JSON.parse(JSON.stringify(err))).sort(), [
        "_tag",
        "availableAt",
        "model",
        "provider"
      ])
      const all = yield* events
      assert.lengthOf(all, 3)
      assertNoSecret("events", all)
      assertNoSecret("snapshot", yield* keyring.snapshot)
    }).pipe(Effect.provide(testLayer({ pools: { p: { keys: makeKeys(3) } } })))
  )
})
