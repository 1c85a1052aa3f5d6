import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type SanitizePolicy, sanitizeOutput, streamSanitizer } from "../src/index.ts"

const STRIP: SanitizePolicy = { controlChars: "strip", html: "strip" }
const ESCAPE: SanitizePolicy = { controlChars: "strip", html: "escape" }

/** Cuts `text` at the given fractions and streams it. */
const streamed = (text: string, cuts: ReadonlyArray<number>, policy: SanitizePolicy): string => {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b)
  const s = streamSanitizer(policy)
  let out = ""
  let from = 0
  for (const p of [...at, text.length]) {
    out += s.push(text.slice(from, p))
    from = p
  }
  return out + s.end()
}

// Answers made of the pieces that matter: markup, scripts, comments, escapes, controls, prose.
const piece = fc.constantFrom(
  "Hello ",
  "world. ",
  "<b>",
  "</b>",
  "<script>alert(1)</script>",
  "<SCRIPT src=x>",
  "</script >",
  "<style>p{}</style>",
  "<!-- note -->",
  "<!--",
  "-->",
  "<img src=x onerror=alert(1)>",
  "a < b",
  "x<3",
  "<",
  ">",
  "&",
  '"',
  "\u001b[31m",
  "\u001b[0m",
  "\u001b]0;title\u0007",
  "\u001b",
  "\u0000",
  "\u0007",
  "\u202e",
  "\n",
  "\t",
  "é"
)
const answer = fc.array(piece, { maxLength: 30 }).map((ps) => ps.join(""))
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 })

describe("output sanitisation", () => {
  it("strips control characters, ANSI sequences and bidi overrides, keeps tab/newline and text", () => {
    expect(sanitizeOutput("\u001b[31mred\u001b[0m\u0000 ok\u0007\t\n\u202eevil\u2066x")).toBe("red ok\t\nevilx")
    expect(sanitizeOutput("plain text stays the same object")).toBe("plain text stays the same object")
    expect(sanitizeOutput("\u0007 kept", { controlChars: "keep", html: "keep" })).toBe("\u0007 kept")
  })

  it("strips tags, scripts and styles with their content, and comments, on request", () => {
    expect(sanitizeOutput("<p>Hi <b>there</b><script>steal()</script><style>x{}</style><!-- c -->!</p>", STRIP)).toBe(
      "Hi there!"
    )
    expect(sanitizeOutput("a < b and x<3 stay", STRIP)).toBe("a &lt; b and x&lt;3 stay")
    expect(sanitizeOutput("before <script>never closed", STRIP)).toBe("before ")
  })

  it("escapes markup on request", () => {
    expect(sanitizeOutput(`<a href="x">'&'</a>`, ESCAPE)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
  })

  it("a tag split across chunks is handled as if it were whole", () => {
    const s = streamSanitizer(STRIP)
    expect(s.push("Hello <scr")).toBe("Hello ")
    expect(s.push("ipt>steal()</scr")).toBe("")
    expect(s.push("ipt>world <")).toBe("world ")
    expect(sanitizeOutput("<<script>x</script>b>", STRIP)).toBe("&lt;b>")
    expect(s.push("b>!")).toBe("!")
    expect(s.end()).toBe("")
  })

  it("streams to exactly what the complete answer gives, however it is cut (strip and escape)", () => {
    fc.assert(
      fc.property(answer, cuts, fc.constantFrom(STRIP, ESCAPE), (text, cs, policy) => {
        expect(streamed(text, cs, policy)).toBe(sanitizeOutput(text, policy))
      }),
      { numRuns: 400 }
    )
  })

  it("leaves no tag, script, control character or escape sequence in a stripped answer", () => {
    fc.assert(
      fc.property(answer, cuts, (text, cs) => {
        const out = streamed(text, cs, STRIP)
        expect(out).not.toMatch(/<\/?[a-z!]/i)
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that none are left
        expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/)
        expect(out).not.toContain("alert(1)</script>")
      }),
      { numRuns: 300 }
    )
  })
})
