// The firewall scores redacted text from the stems the detector's pass found (shifted past the
// placeholders) instead of scanning it again. This proves that changes nothing: on the labelled
// attacks and benign prompts, with sensitive values spliced in anywhere, the score and the rules
// through the reused pass equal those of scoring the redacted text from scratch.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { piiPolicy, redactWithView, scorePrepared, scoreText, Vault } from "../src/index.ts"
import { fixture } from "./support.ts"

const texts = fixture<{ text?: string }>("injection.json")
  .map((c) => c.text)
  .filter((t): t is string => t !== undefined)

const values = [
  "bob@example.com",
  "4111 1111 1111 1111",
  "+44 20 7946 0958",
  "GB82 WEST 1234 5698 7654 32",
  "sk-proj-abc123DEF456ghi789JKL012mno",
  "password: hunter2!Xy",
  "10.0.12.7",
  "536-22-1834",
  "postgres://admin:s3cr3tP4ss@db.example.com/app"
]

describe("the firewall's reuse of the detector's pass", () => {
  it("scores redacted text exactly as scoring it from scratch", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...values)), { maxLength: 4 }),
        fc.constantFrom("user", "indirect") as fc.Arbitrary<"user" | "indirect">,
        (text, inserts, source) => {
          let t = text
          for (const [where, v] of inserts) {
            const words = t.split(" ")
            const k = Math.floor(where * words.length)
            t = [...words.slice(0, k), v, ...words.slice(k)].join(" ")
          }
          const r = redactWithView(t, Vault.make(), piiPolicy("redact"))
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, for the check
          if (!/[^\x00-\x7f]/.test(t)) expect(r.prepared).toBeDefined()
          expect(scorePrepared(r.view, source, r.prepared)).toEqual(scoreText(r.view, source))
        }
      ),
      { numRuns: 600 }
    )
  })
})
