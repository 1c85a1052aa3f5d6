import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryLedgerStore, verify } from "../src/index.ts"
import { chain } from "./support.ts"

describe("MemoryLedgerStore with maxEntries", () => {
  it.effect(
    "keeps the newest entries (never fewer than the bound), forgets the rest, and what it keeps still chains",
    () =>
      Effect.gen(function* () {
        const handle = MemoryLedgerStore.make({ maxEntries: 100 })
        const all = chain(1000)
        for (let i = 0; i < all.length; i += 10) yield* handle.store.append(all.slice(i, i + 10))
        const kept = handle.entries()
        assert.isAtLeast(kept.length, 100)
        assert.isAtMost(kept.length, 100 + Math.ceil(100 / 8) + 10)
        assert.strictEqual(kept[kept.length - 1]?.seq, 1000)
        assert.deepStrictEqual((yield* handle.store.head)?.seq, 1000)
        // Forgotten entries are gone from the request index too.
        assert.isUndefined(yield* handle.store.byRequestId(all[0]!.requestId))
        assert.strictEqual((yield* handle.store.byRequestId(all[999]!.requestId))?.seq, 1000)
        // It no longer starts at genesis, but every kept entry links to the one before it.
        assert.isAbove(kept[0]!.seq, 1)
        assert.isFalse(verify(kept).ok)
        assert.isTrue(kept.slice(1).every((e, i) => e.prevHash === kept[i]!.hash))
      })
  )
})
