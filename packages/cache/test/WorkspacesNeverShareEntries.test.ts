// The same request from two workspaces is two entries: neither is ever answered with the other's.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { cacheBackends, chat, makeUpstream } from "./cacheSupport.ts"

for (const backend of cacheBackends) {
  describe.skipIf(backend.skip)(`workspaces on ${backend.name}`, () => {
    it.live("each workspace gets its own entry for the same request", () =>
      Effect.gen(function* () {
        const [a, b] = yield* backend.replicas({ routes: { default: { ttl: "10 minutes" } } })
        const upstream = yield* makeUpstream
        const teamA = yield* a.getOrCompute(
          Schema.String,
          { workspace: "team-a", route: "default", request: chat },
          upstream.call
        )
        const teamB = yield* b.getOrCompute(
          Schema.String,
          { workspace: "team-b", route: "default", request: chat },
          upstream.call
        )
        assert.deepStrictEqual([teamA.status, teamB.status], ["miss", "miss"])
        const againA = yield* b.getOrCompute(
          Schema.String,
          { workspace: "team-a", route: "default", request: chat },
          upstream.call
        )
        const againB = yield* a.getOrCompute(
          Schema.String,
          { workspace: "team-b", route: "default", request: chat },
          upstream.call
        )
        assert.deepStrictEqual([againA.status, againA.requestId], ["hit", teamA.requestId])
        assert.deepStrictEqual([againB.status, againB.requestId], ["hit", teamB.requestId])
        assert.strictEqual(yield* upstream.calls, 2)
      })
    )
  })
}
