import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { piiPolicy, redactText, restore, streamRestorer, Vault } from "../src/index.ts"

const vault = Vault.make()
const { text: redacted } = redactText(
  "Write to bob@example.com and ann@example.org, call +1 (415) 555-0100, card 4111 1111 1111 1111.",
  vault,
  piiPolicy("redact")
)
const answer = `Sure: ${redacted} Done ⟦ not a placeholder, and ⟦EMAIL⟧ stays masked.`
const placeholders = redacted.match(/⟦[A-Z]+_\d+⟧/g) ?? []

const chunksOf = (text: string, cuts: ReadonlyArray<number>): string[] => {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const out: string[] = []
  let prev = 0
  for (const c of [...at, text.length]) {
    out.push(text.slice(prev, c))
    prev = c
  }
  return out
}

describe("the streaming restorer", () => {
  it("restores a placeholder split across two chunks", () => {
    const r = streamRestorer(vault)
    expect(r.push("Mail ⟦EMA")).toBe("Mail ")
    expect(r.push("IL_1⟧ now")).toBe("bob@example.com now")
    expect(r.end()).toBe("")
  })

  it("gives the same text as restoring the whole answer, however the stream is cut, and never emits a placeholder", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const r = streamRestorer(vault)
        const emitted = chunksOf(answer, cuts).map((c) => r.push(c))
        emitted.push(r.end())
        expect(emitted.join("")).toBe(restore(answer, vault))
        for (const piece of emitted) for (const p of placeholders) expect(piece).not.toContain(p)
      }),
      { numRuns: 500 }
    )
  })

  it("releases a held fragment that turns out not to be a placeholder", () => {
    const r = streamRestorer(vault)
    expect(r.push("price ⟦")).toBe("price ")
    expect(r.push("about 5⟧ ok")).toBe("⟦about 5⟧ ok")
    expect(r.push("tail ⟦EM")).toBe("tail ")
    expect(r.end()).toBe("⟦EM")
  })
})
