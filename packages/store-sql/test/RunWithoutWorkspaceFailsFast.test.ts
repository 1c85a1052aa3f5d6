import { RunStore } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { backends } from "./support/backends.ts"
import { run } from "./support/fixtures.ts"

// Seed 001 §2.3: with persistence on, a run without a workspace is a contract error.
for (const backend of backends) {
  describe.skipIf(backend.skip)(`workspace contract on ${backend.name}`, () => {
    it.effect("a run with an empty or blank workspaceId fails with a StoreError naming the field", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        for (const workspaceId of ["", "   "]) {
          const error = yield* Effect.flip(runs.start(run("r1", { workspaceId })))
          assert.strictEqual(error._tag, "StoreError")
          assert.strictEqual(error.store, "llm_runs")
          assert.strictEqual(error.operation, "start")
          assert.match(error.message, /workspaceId is required/)
        }
        assert.isUndefined(yield* runs.get("r1"))
      }).pipe(Effect.provide(backend.layer()))
    )
  })
}
