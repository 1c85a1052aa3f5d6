// The local spool: a JSONL file of entries the store could not take, oldest first. Written only
// inside the ledger's single writer (so in order), asynchronously (the event loop never waits on
// the disk) and one write per batch: a batch the store refused is in the file (the OS page cache)
// before its requests are answered, so a kill loses none of it; nothing is fsynced.
import { existsSync, readFileSync } from "node:fs"
import { appendFile, mkdir, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { LedgerEntry } from "@am/core"

export const SPOOL_FILE = "ledger-spool.jsonl"

export interface Spool {
  readonly path: string
  readonly load: () => Array<LedgerEntry>
  readonly append: (entries: ReadonlyArray<LedgerEntry>) => Promise<void>
  readonly rewrite: (entries: ReadonlyArray<LedgerEntry>) => Promise<void>
}

const lines = (entries: ReadonlyArray<LedgerEntry>) => entries.map((e) => `${JSON.stringify(e)}\n`).join("")

export const makeSpool = (dir: string): Spool => {
  const path = join(dir, SPOOL_FILE)
  // Audit data is private: the directory is created 0700, the files 0600.
  const ensureDir = () => mkdir(dir, { recursive: true, mode: 0o700 })
  let rewrites = 0
  return {
    path,
    // Read once, at start, before anything is served.
    load: () =>
      existsSync(path)
        ? readFileSync(path, "utf8")
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => JSON.parse(line) as LedgerEntry)
        : [],
    append: async (entries) => {
      if (entries.length === 0) return
      const text = lines(entries) // now: the caller may change its array once this returns
      await ensureDir()
      await appendFile(path, text, { encoding: "utf8", mode: 0o600 })
    },
    rewrite: async (entries) => {
      const text = lines(entries)
      await ensureDir()
      // Write then rename so a crash never leaves a half-written spool.
      const tmp = `${path}.${process.pid}-${++rewrites}.tmp`
      await writeFile(tmp, text, { encoding: "utf8", mode: 0o600 })
      await rename(tmp, path)
    }
  }
}
