import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { scrub } from "../src/index.ts"

describe("scrub", () => {
  it("masks provider keys and PII in a provider error message", () => {
    expect(scrub("401 Incorrect API key provided: sk-proj-abc123DEF456ghi789JKL012mno. Contact bob@example.com.")).toBe(
      "401 Incorrect API key provided: ⟦SECRET⟧. Contact ⟦EMAIL⟧."
    )
  })

  it("masks the literal secrets it is given, even when no rule knows their shape", () => {
    expect(scrub("bad key k9-internal-0001 rejected", ["k9-internal-0001"])).toBe("bad key ⟦SECRET⟧ rejected")
  })

  it("caps the length", () => {
    const out = scrub("x".repeat(5000), [], { maxLength: 100 })
    expect(out.length).toBe(100)
    expect(out.endsWith("…")).toBe(true)
  })

  it("never lets a generated e-mail, card or key through, wherever it sits in the message", () => {
    const email = fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/), fc.constantFrom("example.com", "corp.example.org"))
      .map(([l, d]) => `${l}@${d}`)
    const key = fc.stringMatching(/^[A-Za-z0-9]{30}$/).map((s) => `sk-proj-${s}1a`)
    fc.assert(
      fc.property(fc.oneof(email, key), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (value, a, b) => {
        const out = scrub(`${a.replace(/[\w@.+-]/g, " ")} ${value} ${b.replace(/[\w@.+-]/g, " ")}`)
        expect(out).not.toContain(value)
      }),
      { numRuns: 300 }
    )
  })
})
