// Configured secrets (provider and gateway keys known literally) are masked in whole texts and in
// streams wherever the chunks split them; a tail that only looks like a key's start is released
// at the end unchanged; short secrets are not masked.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { maskSecrets, secretSet, streamSecretMasker } from "../src/index.ts"

const KEYS = ["sk-live-0123456789abcdef", "am-gw-key-ffff0000", "sk-live-0123"]

describe("secret masking", () => {
  it("masks every occurrence, the longest secret first", () => {
    const set = secretSet(KEYS)
    expect(maskSecrets("a sk-live-0123456789abcdef b am-gw-key-ffff0000 c sk-live-0123!", set)).toBe(
      "a ⟦SECRET⟧ b ⟦SECRET⟧ c ⟦SECRET⟧!"
    )
    expect(secretSet(["short", "sk-live-0123"]).secrets).toEqual(["sk-live-0123"])
  })

  it("masks a secret however the stream splits it, and emits nothing of it", () => {
    const set = secretSet(KEYS)
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(...KEYS),
        fc.string({ maxLength: 20 }),
        fc.array(fc.nat(80), { maxLength: 6 }),
        (before, key, after, cuts) => {
          const text = `${before} ${key} ${after}`
          const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
          const m = streamSecretMasker(set)
          const out: Array<string> = []
          let from = 0
          for (const c of [...at, text.length]) {
            out.push(m.push(text.slice(from, c)))
            from = c
          }
          out.push(m.end())
          expect(out.join("")).toBe(maskSecrets(text, set))
          for (const o of out) expect(o.includes(key)).toBe(false)
        }
      )
    )
  })

  it("releases a held tail that never became a secret", () => {
    const m = streamSecretMasker(secretSet(KEYS))
    expect(m.push("ends with sk-li")).toBe("ends with ")
    expect(m.push("ve-01")).toBe("")
    expect(m.end()).toBe("sk-live-01")
  })
})
