// The local spool: a JSONL file of entries the store could not take, oldest first. Synchronous
// file I/O on purpose: it only runs on the (rare) outage path, inside the ledger's single writer.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { LedgerEntry } from "@am/core"

export const SPOOL_FILE = "ledger-spool.jsonl"

export interface Spool {
  readonly path: string
  readonly load: () => Array<LedgerEntry>
  readonly append: (entry: LedgerEntry) => void
  readonly rewrite: (entries: ReadonlyArray<LedgerEntry>) => void
}

export const makeSpool = (dir: string): Spool => {
  const path = join(dir, SPOOL_FILE)
  // Audit data is private: the directory is created 0700, the files 0600.
  const ensureDir = () => mkdirSync(dir, { recursive: true, mode: 0o700 })
  return {
    path,
    load: () =>
      existsSync(path)
        ? readFileSync(path, "utf8")
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => JSON.parse(line) as LedgerEntry)
        : [],
    append: (entry) => {
      ensureDir()
      appendFileSync(path, `${JSON.stringify(entry)}\n`, { encoding: "utf8", mode: 0o600 })
    },
    rewrite: (entries) => {
      ensureDir()
      // Write then rename so a crash never leaves a half-written spool.
      const tmp = `${path}.tmp`
      writeFileSync(tmp, entries.map((e) => `${JSON.stringify(e)}\n`).join(""), { encoding: "utf8", mode: 0o600 })
      renameSync(tmp, path)
    }
  }
}
