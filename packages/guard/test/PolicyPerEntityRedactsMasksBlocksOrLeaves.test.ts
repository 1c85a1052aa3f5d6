import { describe, expect, it } from "vitest"
import { piiPolicy, redactText, restore, Vault } from "../src/index.ts"

const text = "bob@example.com, 10.0.0.7, key AKIAIOSFODNN7EXAMPLE"

describe("per-entity policy", () => {
  it("redacts reversibly, masks for good, blocks with a finding, or leaves the value", () => {
    const vault = Vault.make()
    const r = redactText(text, vault, piiPolicy({ email: "redact", ip: "off", secret: "block" }))
    expect(r.text).toBe("⟦EMAIL_1⟧, 10.0.0.7, key ⟦SECRET⟧")
    expect(r.findings).toEqual([
      { entity: "email", rule: "email", action: "redact" },
      { entity: "secret", rule: "aws_access_key", action: "block" }
    ])
    expect(restore(r.text, vault)).toBe("bob@example.com, 10.0.0.7, key ⟦SECRET⟧")
  })

  it("masks without touching the vault", () => {
    const vault = Vault.make()
    expect(redactText(text, vault, piiPolicy("mask")).text).toBe("⟦EMAIL⟧, ⟦IP⟧, key ⟦SECRET⟧")
    expect(vault.size).toBe(0)
  })

  it("off everywhere returns the text as it was", () => {
    expect(redactText(text, Vault.make(), piiPolicy("off")).text).toBe(text)
  })
})
