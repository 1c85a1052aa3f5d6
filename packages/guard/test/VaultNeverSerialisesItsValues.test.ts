import { inspect } from "node:util"
import { describe, expect, it } from "vitest"
import { piiPolicy, redactText, Vault } from "../src/index.ts"

describe("the vault", () => {
  const vault = Vault.make()
  redactText("mail bob@example.com, key sk-proj-abc123DEF456ghi789JKL012mno", vault, piiPolicy("redact"))

  it("shows only its size through JSON, String, util.inspect and template literals", () => {
    for (const shown of [
      JSON.stringify({ vault }),
      String(vault),
      inspect(vault),
      `${vault}`,
      inspect({ nested: { vault } })
    ]) {
      expect(shown).not.toContain("bob@example.com")
      expect(shown).not.toContain("sk-proj")
      expect(shown).toContain("Vault(2 values)")
    }
  })

  it("has no enumerable fields that hold a value", () => {
    expect(Object.keys(vault)).toEqual([])
    expect(JSON.stringify(Object.entries(vault))).toBe("[]")
  })

  it("gives the same value the same placeholder and numbers each entity on its own", () => {
    const v = Vault.make()
    const r = redactText("a@example.com b@example.com a@example.com +44 20 7946 0958", v, piiPolicy("redact"))
    expect(r.text).toBe("⟦EMAIL_1⟧ ⟦EMAIL_2⟧ ⟦EMAIL_1⟧ ⟦PHONE_1⟧")
    expect(v.size).toBe(3)
  })
})
