// The detector and the vault take shortcuts for speed that hold only under conditions of their
// tables: a secret rule tried only at its needles must have every match start with one, and a
// vault that keeps arrays until 16 values must answer as one with maps beyond. These check the
// conditions, so a rule edited later cannot make a shortcut miss what a scan finds. (Context
// words searched only after a context's last digit or newline are checked when the module loads.)
import { describe, expect, it } from "vitest"
import { Vault } from "../src/index.ts"
import { SECRET_RULES } from "../src/internal/SecretRules.ts"
import { fixture } from "./support.ts"

const texts = [
  ...fixture<{ text?: string }>("pii.json"),
  ...fixture<{ text?: string }>("lookalikes.json"),
  ...fixture<{ text?: string }>("injection.json")
]
  .map((c) => c.text)
  .filter((t): t is string => typeof t === "string")
// every needle glued to text, at a word start, after punctuation and inside a word
const probes = SECRET_RULES.flatMap((r) =>
  r.needles.flatMap((n) => [
    `${n}abcdefghij0123456789ABCDEFGHIJ0123456789abcdefghij`,
    `key: ${n}live_0123456789abcdefABCDEF0123456789`,
    `x${n}${"A1b2".repeat(12)}`,
    `(${n}-proj-${"Zz9".repeat(12)})`
  ])
)

describe("the detector's shortcuts", () => {
  it("anchored secret rules: every match of the rule's regex starts with one of its needles", () => {
    const anchored = SECRET_RULES.filter((r) => r.anchored === true)
    expect(anchored.length).toBeGreaterThan(0)
    for (const r of anchored) {
      for (const t of [...texts, ...probes]) {
        const re = new RegExp(r.pattern.source, r.pattern.flags)
        for (let m = re.exec(t); m !== null; m = re.exec(t)) {
          expect(
            r.needles.some((n) => t.startsWith(n, m!.index)),
            `${r.rule} at ${m.index} in ${t}`
          ).toBe(true)
          if (m[0].length === 0) re.lastIndex++
        }
      }
    }
  })

  it("a vault answers alike below and above the size at which it adds maps", () => {
    const vault = Vault.make()
    const values = Array.from({ length: 40 }, (_, i) => `person${i}@example.com`)
    const placeholders = values.map((v) => vault.placeholderFor("email", v))
    expect(placeholders[39]).toBe("⟦EMAIL_40⟧")
    values.forEach((v, i) => {
      expect(vault.placeholderFor("email", v)).toBe(placeholders[i])
      expect(vault.valueOf(placeholders[i]!)).toBe(v)
      expect(vault.holds(v)).toBe(true)
    })
    expect(vault.values()).toEqual(values)
    expect(vault.size).toBe(40)
    expect(vault.valueOf("⟦EMAIL_41⟧")).toBeUndefined()
    expect(vault.holds("nobody@example.com")).toBe(false)
    expect(vault.placeholderFor("phone", "+44 20 7946 0958")).toBe("⟦PHONE_1⟧")
  })
})
