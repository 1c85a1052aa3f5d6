import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Schema } from "effect"
import {
  ChatMessage,
  Classification,
  Completion,
  CompletionRequest,
  LedgerEntry,
  LlmRun,
  ResilienceEvent,
  Usage
} from "../src/index.ts"

// Key order is not part of a value's meaning; compare canonical JSON.
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v
  )

const roundTrips = <S extends Schema.Codec<any, any, never, never>>(name: string, schema: S) =>
  it.effect(`${name}: decode ∘ encode is the identity on generated values`, () =>
    Effect.gen(function* () {
      const encode = Schema.encodeEffect(schema)
      const decode = Schema.decodeUnknownEffect(schema)
      const result = yield* Arbitrary.checkEffect(
        Arbitrary.schema(schema),
        (value) =>
          encode(value).pipe(
            Effect.flatMap((encoded) => decode(JSON.parse(JSON.stringify(encoded)))),
            Effect.map((decoded) => canonical(decoded) === canonical(value))
          ),
        { runs: 200 }
      )
      assert.strictEqual(Arbitrary.formatCheckFailure(result), undefined)
      assert.strictEqual(result._tag, "Passed")
    })
  )

// The same-wire carrier holds the client's unredacted body and refuses JSON encoding on purpose
// (it never leaves the process), so the JSON round trip is the request's without it.
const { passthrough: _carrier, ...serialisable } = CompletionRequest.fields
const SerialisableRequest = Schema.Struct(serialisable)

describe("@am/core schemas", () => {
  roundTrips("ChatMessage", ChatMessage)
  roundTrips("CompletionRequest (without the same-wire carrier)", SerialisableRequest)
  roundTrips("Completion", Completion)
  roundTrips("Usage", Usage)
  roundTrips("Classification", Classification)
  roundTrips("ResilienceEvent", ResilienceEvent)
  roundTrips("LedgerEntry", LedgerEntry)
  roundTrips("LlmRun", LlmRun)
})
