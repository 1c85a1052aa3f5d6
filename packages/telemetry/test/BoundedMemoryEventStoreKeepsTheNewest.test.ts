import { EventStore, type ResilienceEvent } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventWriter } from "../src/index.ts"

const event = (i: number): ResilienceEvent =>
  ({ topic: "request.started", requestId: `r${i}`, route: "default", at: i }) as ResilienceEvent

describe("EventWriter.layerMemoryStoreBounded", () => {
  it.effect("keeps the newest events within the bound", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      for (let i = 0; i < 2000; i += 50) yield* store.write(Array.from({ length: 50 }, (_, j) => event(i + j)))
      const kept = yield* store.since(0, 10_000)
      assert.isAtLeast(kept.length, 100)
      assert.isAtMost(kept.length, 100 + 13 + 50)
      assert.strictEqual(kept[kept.length - 1]?.at, 1999)
      assert.isTrue(kept.every((e, i) => i === 0 || e.at === kept[i - 1]!.at + 1))
    }).pipe(Effect.provide(EventWriter.layerMemoryStoreBounded(100)))
  )
})
