// The local spool: a JSONL file of entries the store could not take, oldest first, and a cursor
// file saying how much of it has been replayed. Written only under the ledger's single writer
// (so in order), asynchronously (the event loop never waits on the disk) and one write per
// batch: a batch the store refused is in the file (the OS page cache) before its requests are
// answered, so a kill loses none of it; nothing is fsynced.
//
// Replay is linear in the spool's size: a replayed batch moves the cursor (a small file written
// then renamed) instead of rewriting the spool. The file is truncated once everything has been
// replayed, and compacted (the unreplayed tail rewritten) only when its replayed part is larger
// than the rest, so every entry is written at most a bounded number of times.
//
// Crash safety: the cursor only ever moves past entries the store has taken, and it names the
// last of them (seq and hash), so a cursor that does not match the file it points into (a crash
// between a compaction and its cursor) is ignored and the whole file is loaded. Entries loaded
// that the store already holds (a batch that landed before its cursor moved) are recognised by
// their hash and dropped by the ledger before it replays, so none is replayed twice; a last line
// cut by a crash is skipped.
import { existsSync, readFileSync, unlinkSync } from "node:fs"
import { appendFile, mkdir, rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { LedgerEntry } from "@am/core"

export const SPOOL_FILE = "ledger-spool.jsonl"
export const CURSOR_FILE = "ledger-spool.cursor.json"

/** Replayed bytes past which the spool is compacted, when they are also more than the rest. */
const COMPACT_BYTES = 1 << 20

export interface Spool {
  readonly path: string
  /** The entries not yet replayed (read once, at start, before anything is served). */
  readonly load: () => Array<LedgerEntry>
  /** Appends entries to the end of the spool. */
  readonly append: (entries: ReadonlyArray<LedgerEntry>) => Promise<void>
  /**
   * The oldest `n` entries are in the store, `last` the newest of them; `rest` gives what is
   * still spooled after them (read only when the file has to be rewritten).
   */
  readonly advance: (n: number, last: LedgerEntry, rest: () => ReadonlyArray<LedgerEntry>) => Promise<void>
  /** Replaces the whole spool with `entries` (they were re-chained). */
  readonly rewrite: (entries: ReadonlyArray<LedgerEntry>) => Promise<void>
  /** How many times the spool file has been rewritten whole (compactions and re-chains). */
  readonly rewrites: () => number
}

interface Cursor {
  /** Bytes of the spool file already replayed (where the first unreplayed line starts). */
  readonly offset: number
  /** The last replayed entry, whose line ends at `offset`. */
  readonly seq: number
  readonly hash: string
}

const lineOf = (e: LedgerEntry) => `${JSON.stringify(e)}\n`

/** Parses lines, skipping any that do not parse (a line cut by a crash). */
const parseLines = (text: string): { entries: Array<LedgerEntry>; sizes: Array<number> } => {
  const entries: Array<LedgerEntry> = []
  const sizes: Array<number> = []
  let at = 0
  while (at < text.length) {
    const end = text.indexOf("\n", at)
    const line = end === -1 ? text.slice(at) : text.slice(at, end + 1)
    at += line.length
    if (line.trim() === "") continue
    try {
      entries.push(JSON.parse(line) as LedgerEntry)
      sizes.push(Buffer.byteLength(line))
    } catch {
      // A line cut by a crash (only ever the last): never answered, nothing to replay.
    }
  }
  return { entries, sizes }
}

export const makeSpool = (dir: string): Spool => {
  const path = join(dir, SPOOL_FILE)
  const cursorPath = join(dir, CURSOR_FILE)
  // Audit data is private: the directory is created 0700, the files 0600.
  const ensureDir = () => mkdir(dir, { recursive: true, mode: 0o700 })
  let tmpCount = 0
  let rewrites = 0
  // Byte sizes of the unreplayed lines, oldest first (from `head`), and where the first starts.
  let sizes: Array<number> = []
  let head = 0
  let offset = 0
  // Bytes of the unreplayed lines (the sum of `sizes` from `head`).
  let unreplayed = 0
  // The file no longer matches the entries held (an append failed): rewrite it at the next advance.
  let stale = false

  const writeAtomically = async (file: string, text: string) => {
    const tmp = `${file}.${process.pid}-${++tmpCount}.tmp`
    await writeFile(tmp, text, { encoding: "utf8", mode: 0o600 })
    await rename(tmp, file)
  }
  const replaceWith = async (entries: ReadonlyArray<LedgerEntry>) => {
    await ensureDir()
    const lines = entries.map(lineOf)
    // The cursor goes first: a crash between the two leaves the whole new file to load.
    await rm(cursorPath, { force: true })
    await writeAtomically(path, lines.join(""))
    rewrites++
    sizes = lines.map((l) => Buffer.byteLength(l))
    unreplayed = sizes.reduce((n, size) => n + size, 0)
    head = 0
    offset = 0
    stale = false
  }

  const advanceNow = async (n: number, last: LedgerEntry, rest: () => ReadonlyArray<LedgerEntry>) => {
    const remaining = sizes.length - head - n
    if (stale || remaining < 0) return replaceWith(rest())
    if (remaining === 0) {
      // Everything replayed: start over with an empty spool.
      await rm(cursorPath, { force: true })
      await rm(path, { force: true })
      sizes = []
      unreplayed = 0
      head = 0
      offset = 0
      return
    }
    let replayed = 0
    for (let i = 0; i < n; i++) replayed += sizes[head + i] as number
    const next = offset + replayed
    if (next > COMPACT_BYTES && next > unreplayed - replayed) return replaceWith(rest())
    await ensureDir()
    await writeAtomically(cursorPath, JSON.stringify({ offset: next, seq: last.seq, hash: last.hash } satisfies Cursor))
    head += n
    offset = next
    unreplayed -= replayed
    if (head > 4096 && head > sizes.length / 2) {
      sizes = sizes.slice(head)
      head = 0
    }
  }

  return {
    path,
    load: () => {
      if (!existsSync(path)) {
        if (existsSync(cursorPath)) unlinkSync(cursorPath)
        return []
      }
      const text = readFileSync(path)
      let cursor: Cursor | undefined
      try {
        cursor = existsSync(cursorPath) ? (JSON.parse(readFileSync(cursorPath, "utf8")) as Cursor) : undefined
      } catch {
        cursor = undefined
      }
      let from = 0
      if (
        cursor !== undefined &&
        Number.isInteger(cursor.offset) &&
        cursor.offset > 0 &&
        cursor.offset <= text.length
      ) {
        // The cursor counts only if the line ending at its offset is the entry it names.
        const before = text.subarray(0, cursor.offset).toString("utf8")
        const start = before.lastIndexOf("\n", before.length - 2) + 1
        try {
          const last = JSON.parse(before.slice(start)) as LedgerEntry
          if (before.endsWith("\n") && last.seq === cursor.seq && last.hash === cursor.hash) from = cursor.offset
        } catch {
          from = 0
        }
      }
      const parsed = parseLines(text.subarray(from).toString("utf8"))
      sizes = parsed.sizes
      unreplayed = sizes.reduce((n, size) => n + size, 0)
      head = 0
      offset = from
      // A skipped (cut) line leaves the byte count short: rewrite at the next advance.
      stale = unreplayed !== text.length - from
      return parsed.entries
    },
    append: async (entries) => {
      if (entries.length === 0) return
      const lines = entries.map(lineOf) // now: the caller may change its array once this returns
      try {
        await ensureDir()
        await appendFile(path, lines.join(""), { encoding: "utf8", mode: 0o600 })
      } catch (e) {
        stale = true
        throw e
      }
      for (const l of lines) {
        const size = Buffer.byteLength(l)
        sizes.push(size)
        unreplayed += size
      }
    },
    advance: async (n, last, rest) => {
      try {
        await advanceNow(n, last, rest)
      } catch (e) {
        stale = true
        throw e
      }
    },
    rewrite: async (entries) => {
      try {
        await replaceWith(entries)
      } catch (e) {
        stale = true
        throw e
      }
    },
    rewrites: () => rewrites
  }
}
