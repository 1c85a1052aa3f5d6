/**
 * The tamper-evident chain. Every entry carries `seq` (1, 2, …), `prevHash` (the previous entry's
 * `hash`, `GENESIS_HASH` for seq 1) and
 *
 * ```
 * hash = lowercase hex SHA-256( canonicalJson(entry without "hash") + prevHash )   (UTF-8)
 * ```
 *
 * `canonicalJson` = JSON with object keys sorted by code unit at every level, no whitespace,
 * keys whose value is `undefined` omitted (as `JSON.stringify` does), arrays kept in order.
 *
 * @example
 * ```ts
 * import { verify } from "@am/ledger"
 * const result = verify([]) // { ok: true, count: 0 }
 * ```
 * @since 0.1.0
 */
import { hash } from "node:crypto"
import { type LedgerEntry, LedgerStore, type StoreError } from "@am/core"
import { Effect, Stream } from "effect"

/** `prevHash` of the entry with seq 1: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64)

/** Sorted-keys, whitespace-free JSON (see the module docs). */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  // One string built in place (`+=`): the ledger hashes every entry on the answer path, and
  // `map`/`filter`/`join` allocated two arrays per object and per array of the entry.
  if (Array.isArray(value)) {
    let out = "["
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ","
      const v = value[i]
      out += v === undefined ? "null" : canonicalJson(v)
    }
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  let out = "{"
  let first = true
  for (const k of keys) {
    const v = record[k]
    if (v === undefined) continue
    out += `${first ? "" : ","}${JSON.stringify(k)}:${canonicalJson(v)}`
    first = false
  }
  return `${out}}`
}

/** The hash an entry must carry: SHA-256 of its canonical JSON without `hash`, then `prevHash`. */
export const hashEntry = (entry: Omit<LedgerEntry, "hash"> & { readonly hash?: string }): string => {
  const { hash: _omit, ...rest } = entry
  // One-shot `crypto.hash`: no Hash object per entry.
  return hash("sha256", canonicalJson(rest) + entry.prevHash, "hex")
}

/** Why a chain failed to verify. */
export type VerifyReason = "modified" | "deleted" | "inserted" | "reordered"

/** The outcome of `verify`: `ok` with the count, or where the chain first breaks and why. */
export type VerifyResult =
  | { readonly ok: true; readonly count: number; readonly lastSeq: number; readonly lastHash: string }
  | {
      readonly ok: false
      /** The `seq` at which the chain breaks. */
      readonly seq: number
      /** The 0-based position in the verified sequence of the entry that revealed it. */
      readonly index: number
      readonly reason: VerifyReason
      readonly detail: string
    }

/** Where verification starts: seq 1 after the genesis hash, unless a checkpoint is given. */
export interface VerifyFrom {
  readonly seq: number
  readonly hash: string
}

/** How far ahead a missing `seq` is looked for before it is called deleted rather than reordered. */
const REORDER_WINDOW = 1024

/**
 * An incremental verifier: `push` each entry in stored order (returns a failure as soon as one
 * is certain), then `end`. `verify` and `verifyStore` drive it.
 */
export class Verifier {
  private expected: number
  private prev: string
  private count = 0
  private index = -1
  private lastSeq: number
  private gap: { seq: number; index: number; window: number } | undefined = undefined

  constructor(from?: VerifyFrom) {
    this.expected = (from?.seq ?? 0) + 1
    this.prev = from?.hash ?? GENESIS_HASH
    this.lastSeq = from?.seq ?? 0
  }

  push(entry: LedgerEntry): VerifyResult | undefined {
    this.index++
    if (this.gap !== undefined) {
      // A seq was missing: if it turns up shortly after, the entries were reordered.
      const gap = this.gap
      if (entry.seq === gap.seq) {
        return {
          ok: false,
          seq: gap.seq,
          index: gap.index,
          reason: "reordered",
          detail: `entry ${gap.seq} appears after a later entry`
        }
      }
      gap.window--
      return gap.window <= 0 ? this.deleted() : undefined
    }
    const fail = (seq: number, reason: VerifyReason, detail: string): VerifyResult => ({
      ok: false,
      seq,
      index: this.index,
      reason,
      detail
    })
    if (entry.seq > this.expected) {
      this.gap = { seq: this.expected, index: this.index, window: REORDER_WINDOW }
      return undefined
    }
    if (entry.seq < this.expected) {
      return entry.seq === this.lastSeq
        ? fail(entry.seq, "inserted", `two entries claim seq ${entry.seq}: one was inserted`)
        : fail(entry.seq, "reordered", `entry ${entry.seq} appears after entry ${this.lastSeq}`)
    }
    if (hashEntry(entry) !== entry.hash) {
      return fail(entry.seq, "modified", `entry ${entry.seq}'s content does not match its hash`)
    }
    if (entry.prevHash !== this.prev) {
      return entry.seq === 1
        ? fail(1, "modified", "entry 1 does not start from the genesis hash")
        : fail(
            entry.seq - 1,
            "modified",
            `entry ${entry.seq}'s prevHash does not match entry ${entry.seq - 1}: that entry was replaced or re-hashed`
          )
    }
    this.prev = entry.hash
    this.lastSeq = entry.seq
    this.expected = entry.seq + 1
    this.count++
    return undefined
  }

  end(): VerifyResult {
    if (this.gap !== undefined) return this.deleted()
    return { ok: true, count: this.count, lastSeq: this.lastSeq, lastHash: this.prev }
  }

  private deleted(): VerifyResult {
    const gap = this.gap as { seq: number; index: number }
    return {
      ok: false,
      seq: gap.seq,
      index: gap.index,
      reason: "deleted",
      detail: `entry ${gap.seq} is missing`
    }
  }
}

/**
 * Verifies a chain given in stored order: every `hash` recomputes, every `prevHash` links, `seq`
 * counts up from 1 (or from `from`). Reports the first break: `modified` (a field changed, or an
 * entry was replaced and re-hashed), `deleted` (a seq is missing), `inserted` (a seq appears
 * twice) or `reordered` (a seq appears after a later one).
 *
 * @example
 * ```ts
 * import { verify } from "@am/ledger"
 * declare const entries: ReadonlyArray<import("@am/core").LedgerEntry>
 * const r = verify(entries)
 * if (!r.ok) console.log(`chain broken at seq ${r.seq}: ${r.reason}`)
 * ```
 */
export const verify = (entries: Iterable<LedgerEntry>, from?: VerifyFrom): VerifyResult => {
  const verifier = new Verifier(from)
  for (const entry of entries) {
    const result = verifier.push(entry)
    if (result !== undefined) return result
  }
  return verifier.end()
}

/**
 * `verify` over a `Stream` (e.g. entries read from a file or a cursor); stops at the first break.
 *
 * @example
 * ```ts
 * import { verifyStream } from "@am/ledger"
 * import { Stream } from "effect"
 * declare const entries: ReadonlyArray<import("@am/core").LedgerEntry>
 * const result = verifyStream(Stream.fromIterable(entries))
 * ```
 */
export const verifyStream = <E, R>(
  entries: Stream.Stream<LedgerEntry, E, R>,
  from?: VerifyFrom
): Effect.Effect<VerifyResult, E, R> =>
  Effect.suspend(() => {
    const verifier = new Verifier(from)
    let found: VerifyResult | undefined
    return Stream.runForEachWhile(entries, (entry) =>
      Effect.sync(() => {
        found = verifier.push(entry)
        return found === undefined
      })
    ).pipe(Effect.map(() => found ?? verifier.end()))
  })

/**
 * Verifies everything in the `LedgerStore`, paging through `range` (`pageSize` entries at a time).
 *
 * @example
 * ```ts
 * import { verifyStore } from "@am/ledger"
 * import { Effect, Stream } from "effect"
 * const program = Effect.map(verifyStore(), (r) => (r.ok ? `ok: ${r.count}` : `broken at ${r.seq}`))
 * ```
 */
export const verifyStore: (options?: {
  readonly pageSize?: number
  readonly onProgress?: (verified: number) => void
}) => Effect.Effect<VerifyResult, StoreError, LedgerStore> = Effect.fnUntraced(function* (options?: {
  readonly pageSize?: number
  readonly onProgress?: (verified: number) => void
}) {
  const store = yield* LedgerStore
  const pageSize = Math.max(1, options?.pageSize ?? 1000)
  const verifier = new Verifier()
  const page = (fromSeq: number, seen: number): Effect.Effect<VerifyResult, StoreError> =>
    Effect.flatMap(store.range(fromSeq, pageSize), (entries) => {
      const found = entries.reduce<VerifyResult | undefined>((r, e) => r ?? verifier.push(e), undefined)
      if (found !== undefined) return Effect.succeed(found)
      options?.onProgress?.(seen + entries.length)
      const last = entries[entries.length - 1]
      return entries.length < pageSize || last === undefined
        ? Effect.succeed(verifier.end())
        : page(last.seq + 1, seen + entries.length)
    })
  return yield* page(1, 0)
})
