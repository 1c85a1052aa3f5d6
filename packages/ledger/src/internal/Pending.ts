// The spooled entries held in memory, oldest first: a queue whose front is dropped in batches as
// the replay lands them, in time proportional to the batch (not to what is still spooled).
import type { LedgerEntry } from "@am/core"

export interface Pending {
  readonly size: () => number
  readonly at: (i: number) => LedgerEntry
  readonly last: () => LedgerEntry | undefined
  /** The oldest `n` entries (fewer if fewer are held). */
  readonly take: (n: number) => Array<LedgerEntry>
  /** Every entry, oldest first. */
  readonly all: () => Array<LedgerEntry>
  readonly push: (entries: ReadonlyArray<LedgerEntry>) => void
  readonly drop: (n: number) => void
  readonly replace: (entries: ReadonlyArray<LedgerEntry>) => void
}

export const makePending = (initial: ReadonlyArray<LedgerEntry>): Pending => {
  let items: Array<LedgerEntry> = [...initial]
  let head = 0
  return {
    size: () => items.length - head,
    at: (i) => items[head + i] as LedgerEntry,
    last: () => (items.length > head ? items[items.length - 1] : undefined),
    take: (n) => items.slice(head, head + n),
    all: () => items.slice(head),
    push: (entries) => {
      for (const e of entries) items.push(e)
    },
    drop: (n) => {
      head = Math.min(items.length, head + n)
      if (head === items.length) {
        items = []
        head = 0
      } else if (head > 4096 && head > items.length / 2) {
        items = items.slice(head)
        head = 0
      }
    },
    replace: (entries) => {
      items = [...entries]
      head = 0
    }
  }
}
