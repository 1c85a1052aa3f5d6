// The same workspace and key, the same body: the guarded call runs once; every later request,
// on either replica, replays its stored result (same value, same request id) without calling.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { requestHash } from "../src/index.ts"
import { backends, makeUpstream } from "./support.ts"

const body = { model: "gpt-4o", messages: [{ role: "user", content: "Summarise the Q3 report" }] }

for (const backend of backends) {
  describe.skipIf(backend.skip)(`idempotency on ${backend.name}`, () => {
    it.live("answers a key once, then replays it on both replicas without a second call", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas()
        const upstream = yield* makeUpstream
        const request = { workspace: "team-a", key: "order-42", requestHash: requestHash(body) }

        const first = yield* a.run(Schema.String, request, upstream.call("the summary"))
        assert.deepStrictEqual(first, { replayed: false, requestId: "req-1", value: "the summary" })

        // Key order in the body does not matter: the canonical hash is the same.
        const reordered = { messages: body.messages, model: body.model }
        const again = yield* b.run(
          Schema.String,
          { ...request, requestHash: requestHash(reordered) },
          upstream.call("another answer")
        )
        assert.deepStrictEqual(again, { replayed: true, requestId: "req-1", value: "the summary" })
        const third = yield* a.run(Schema.String, request, upstream.call("a third answer"))
        assert.isTrue(third.replayed)
        assert.strictEqual(yield* upstream.calls, 1)
      })
    )

    it.live("replays a structured result through its schema", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas()
        const Answer = Schema.Struct({ text: Schema.String, tokens: Schema.Int, at: Schema.Date })
        const at = new Date("2026-05-01T10:00:00.000Z")
        const request = { workspace: "team-a", key: "k-structured", requestHash: requestHash(body) }
        let calls = 0
        const call = Effect.sync(() => {
          calls++
          return { requestId: "req-s", value: { text: "ok", tokens: 7, at } }
        })
        yield* a.run(Answer, request, call)
        const replay = yield* b.run(Answer, request, call)
        assert.isTrue(replay.replayed)
        assert.deepStrictEqual(replay.value, { text: "ok", tokens: 7, at })
        assert.strictEqual(calls, 1)
      })
    )
  })
}
