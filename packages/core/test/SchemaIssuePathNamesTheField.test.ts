import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { schemaIssueKeys, schemaIssuePath } from "../src/index.ts"

const S = Schema.Struct({
  messages: Schema.Array(Schema.Struct({ role: Schema.Literal("user") })),
  range: Schema.optionalKey(
    Schema.Struct({ min: Schema.Finite, max: Schema.Finite }).check(
      Schema.makeFilter((r) => r.max >= r.min || { path: ["max"], issue: "max must be at least min" })
    )
  ),
  when: Schema.optionalKey(Schema.Union([Schema.String.check(Schema.isMinLength(3)), Schema.Finite]))
})
const decode = (input: unknown) => Effect.flip(Schema.decodeUnknownEffect(S)(input, { errors: "first" }))

describe("schemaIssuePath", () => {
  it.effect("names the first bad field of a real Schema error as a dotted path", () =>
    Effect.gen(function* () {
      const error = yield* decode({ messages: [{ role: "user" }, { role: "robot" }] })
      assert.strictEqual(schemaIssuePath(error), "messages.1.role")
      assert.strictEqual(schemaIssuePath(error.issue), "messages.1.role")
      assert.deepStrictEqual(schemaIssueKeys(error.issue), ["messages", 1, "role"])
    })
  )
  it.effect("follows a filter's own path, a missing key and a union member", () =>
    Effect.gen(function* () {
      assert.strictEqual(schemaIssuePath(yield* decode({ messages: [], range: { min: 2, max: 1 } })), "range.max")
      assert.strictEqual(schemaIssuePath(yield* decode({ messages: [{}] })), "messages.0.role")
      assert.strictEqual(schemaIssuePath(yield* decode({ messages: [], when: "x" })), "when")
    })
  )
  it.effect("is undefined when the root value itself is bad", () =>
    Effect.gen(function* () {
      assert.isUndefined(schemaIssuePath(yield* decode("not an object")))
    })
  )
})
