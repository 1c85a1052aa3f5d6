import { ApiKey, type ProviderFailure } from "@am/core"
import { FaultNames, Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Stream } from "effect"
import fc from "fast-check"
import { make } from "../src/index.ts"
import { request } from "./support.ts"

const failureOf = (exit: Exit.Exit<unknown, ProviderFailure>): ProviderFailure | undefined =>
  Exit.isFailure(exit) ? Exit.findErrorOption(exit).pipe((o) => (o._tag === "Some" ? o.value : undefined)) : undefined

describe("no secret in any ProviderFailure", () => {
  it.effect("for every fault, whole or streamed, with random secrets the upstream may echo", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai" })
      const provider = make({ id: "primary", baseURL: upstream.baseURL, timeoutMs: 250 })
      const secrets = fc.sample(fc.stringMatching(/^sk-proj-[A-Za-z0-9]{24,40}$/), {
        numRuns: FaultNames.length,
        seed: 42
      })
      let failures = 0
      for (const [i, fault] of FaultNames.entries()) {
        const secret = secrets[i]!
        const key = ApiKey.make(`k${i}`, Redacted.make(secret))
        // invalid_key makes the upstream quote the key back in its message, as OpenAI does.
        upstream.setScript([
          {
            sequence: [
              { fault, stallMs: 2000 },
              { fault, stallMs: 2000 }
            ]
          }
        ])
        const whole = yield* Effect.exit(provider.complete({ request, model: "gpt-4o", key }))
        const streamed = yield* Effect.exit(Stream.runDrain(provider.stream({ request, model: "gpt-4o", key })))
        for (const exit of [whole, streamed]) {
          const f = failureOf(exit)
          if (f === undefined) continue
          failures++
          const json = JSON.stringify(f)
          assert.notInclude(json, secret, fault)
          assert.notInclude(json, secret.slice(-12), fault)
          assert.strictEqual(f.keyId, `k${i}`)
          assert.strictEqual(f.keyFingerprint, key.fingerprint)
        }
      }
      assert.isAbove(failures, 40, "most faults fail")
    })
  )
})
