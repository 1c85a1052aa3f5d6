// The chain head the single writer builds on, and moving entries onto a new one: spooled entries
// chained while the store's head was unknown (or behind another replica's) land on the real head.
import type { LedgerEntry } from "@am/core"
import { GENESIS_HASH, hashEntry } from "../Chain.ts"

export type Head = { readonly seq: number; readonly hash: string }

/** Re-chains entries onto `head` (used for spooled entries whose provisional seq is taken). */
export const rechain = (entries: ReadonlyArray<LedgerEntry>, head: Head | undefined): Array<LedgerEntry> =>
  entries.reduce<Array<LedgerEntry>>((acc, e) => {
    const prev = acc[acc.length - 1] ?? head
    const { hash: _old, ...rest } = e
    const body = { ...rest, seq: (prev?.seq ?? 0) + 1, prevHash: prev?.hash ?? GENESIS_HASH }
    acc.push({ ...body, hash: hashEntry(body) })
    return acc
  }, [])
