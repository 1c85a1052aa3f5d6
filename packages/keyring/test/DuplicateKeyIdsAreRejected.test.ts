import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { Keyring } from "../src/index.ts"
import { makeKeys, backends } from "./fixtures.ts"

describe.each(backends)("configuration ($name)", ({ testLayer }) => {
  it.effect("two keys with the same id in one pool are a defect when the layer is built", () =>
    Effect.gen(function* () {
      const [k1] = makeKeys(1)
      const exit = yield* Effect.exit(
        Keyring.use((k) => k.snapshot).pipe(Effect.provide(testLayer({ pools: { p: { keys: [k1!, k1!] } } })))
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      assert.include(String(Exit.isFailure(exit) ? Cause.squash(exit.cause) : ""), 'duplicate key id "k1"')
    })
  )
})
