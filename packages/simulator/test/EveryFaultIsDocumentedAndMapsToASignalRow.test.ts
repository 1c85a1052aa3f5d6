/**
 * Traceability: each fault name stands for a row of provider-signals.md A.9, every row
 * has at least one fault, and every fault has a row in the README's fault tables.
 */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { FaultNames } from "../src/index.ts"
import { SIGNAL_ROWS } from "./support/expect.ts"

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), "utf8")

describe("fault names", () => {
  it("cover every A.9 row, and every fault belongs to a row", () => {
    const inRows = SIGNAL_ROWS.flatMap(([, faults]) => faults).filter((f) => f !== "ok")
    assert.sameMembers([...new Set(inRows)], [...FaultNames])
    assert.strictEqual(SIGNAL_ROWS.length, 19)
    for (const [row, faults] of SIGNAL_ROWS) assert.isAbove(faults.length, 0, row)
  })

  it("each have a row in the README's fault tables", () => {
    const readme = read("../README.md")
    for (const f of FaultNames) assert.include(readme, `| \`${f}\``, `README table row for ${f}`)
  })
})
