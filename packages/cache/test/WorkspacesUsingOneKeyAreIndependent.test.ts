// Two workspaces using the same key (and even the same body) each get their own call and their
// own stored answer; neither replays the other's, nor sees it as a reused key.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { requestHash } from "../src/index.ts"
import { backends, makeUpstream } from "./support.ts"

for (const backend of backends) {
  describe.skipIf(backend.skip)(`workspaces on ${backend.name}`, () => {
    it.live("each workspace runs and replays its own answer under a shared key", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas()
        const upstream = yield* makeUpstream
        const same = requestHash({ prompt: "weekly digest" })
        const other = requestHash({ prompt: "something else" })
        const teamA = yield* a.run(
          Schema.String,
          { workspace: "team-a", key: "digest", requestHash: same },
          upstream.call("A's")
        )
        const teamB = yield* b.run(
          Schema.String,
          { workspace: "team-b", key: "digest", requestHash: same },
          upstream.call("B's")
        )
        const teamC = yield* a.run(
          Schema.String,
          { workspace: "team-c", key: "digest", requestHash: other },
          upstream.call("C's")
        )
        assert.deepStrictEqual([teamA.replayed, teamB.replayed, teamC.replayed], [false, false, false])
        assert.strictEqual(yield* upstream.calls, 3)
        const againA = yield* b.run(
          Schema.String,
          { workspace: "team-a", key: "digest", requestHash: same },
          upstream.call("x")
        )
        const againB = yield* a.run(
          Schema.String,
          { workspace: "team-b", key: "digest", requestHash: same },
          upstream.call("x")
        )
        assert.deepStrictEqual([againA.value, againA.requestId], ["A's", teamA.requestId])
        assert.deepStrictEqual([againB.value, againB.requestId], ["B's", teamB.requestId])
        // A workspace and key that concatenate like another pair do not alias it.
        const tricky = yield* a.run(
          Schema.String,
          { workspace: "team-ad", key: "igest", requestHash: same },
          upstream.call("T")
        )
        assert.isFalse(tricky.replayed)
        assert.strictEqual(yield* upstream.calls, 4)
      })
    )
  })
}
