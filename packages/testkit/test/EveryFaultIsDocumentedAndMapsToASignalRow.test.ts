/**
 * Traceability: each fault name stands for a row of provider-signals.md A.9, every row
 * has at least one fault, and every fault is documented in the docs page and the README.
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

  it("are all documented in docs/packages/testkit.md and the README", () => {
    const docs = read("../../../docs/packages/testkit.md")
    const readme = read("../README.md")
    for (const f of FaultNames) {
      assert.include(docs, `| \`${f}\``, `docs table row for ${f}`)
      assert.include(readme, `\`${f}\``, `README mentions ${f}`)
    }
  })
})
