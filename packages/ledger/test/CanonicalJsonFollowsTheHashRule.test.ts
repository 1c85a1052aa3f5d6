/**
 * `canonicalJson` is the chain's hash rule (module docs of Chain.ts): for any JSON value it is the
 * text the first build's implementation produced (so a chain stored by an earlier build still
 * verifies), it parses back to the value, and its keys are in code-unit order at every level. The
 * hash is SHA-256 hex of that text + `prevHash`.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { canonicalJson, GENESIS_HASH, hashEntry } from "../src/index.ts"
import { chain } from "./support.ts"

/** The implementation chains were hashed with until 2026-12 (arrays of parts, joined). */
const firstBuild = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : firstBuild(v))).join(",")}]`
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${firstBuild(record[k])}`).join(",")}}`
}

/** The same value with `undefined` members gone (array holes as null), as JSON keeps it. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? "null")

// Values with undefined members and keys that sort differently by code unit than by locale.
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, -0, 1e21, 1.5, -3),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: "grapheme" }),
    fc.array(fc.oneof(tie("value"), fc.constant(undefined)), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom("a", "B", "é", "_", "10", "9", "aa", "Z")),
      fc.oneof(tie("value"), fc.constant(undefined)),
      { maxKeys: 6 }
    )
  )
})).value

describe("canonicalJson", () => {
  it("is the first build's text for any value, and parses back to the value", () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value)
        assert.strictEqual(text, firstBuild(value))
        assert.deepStrictEqual(JSON.parse(text), asJson(value))
      }),
      { numRuns: 500 }
    )
  })

  it("orders keys by code unit, not by locale, at every level", () => {
    assert.strictEqual(
      canonicalJson({ b: 1, a: [{ z: 1, Z: 2, é: 3, e: undefined }], B: null }),
      '{"B":null,"a":[{"Z":2,"z":1,"é":3}],"b":1}'
    )
  })

  it("an entry's hash is SHA-256 hex of its canonical JSON without hash, then prevHash", () => {
    const [first, second] = chain(2)
    for (const entry of [first!, second!]) {
      const { hash: _h, ...rest } = entry
      const expected = createHash("sha256")
        .update(canonicalJson(rest) + entry.prevHash, "utf8")
        .digest("hex")
      assert.strictEqual(hashEntry(entry), expected)
      assert.strictEqual(entry.hash, expected)
    }
    assert.strictEqual(first!.prevHash, GENESIS_HASH)
    assert.strictEqual(second!.prevHash, first!.hash)
  })
})
