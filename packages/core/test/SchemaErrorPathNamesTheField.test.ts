import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { schemaErrorPath } from "../src/index.ts"

describe("schemaErrorPath", () => {
  it.effect("names the first bad field of a real Schema error as a dotted path", () =>
    Effect.gen(function* () {
      const S = Schema.Struct({ messages: Schema.Array(Schema.Struct({ role: Schema.Literal("user") })) })
      const error = yield* Effect.flip(
        Schema.decodeUnknownEffect(S)({ messages: [{ role: "user" }, { role: "robot" }] }, { errors: "first" })
      )
      assert.strictEqual(schemaErrorPath(error.message), "messages.1.role")
      assert.isUndefined(schemaErrorPath("no path here"))
    })
  )
})
