// Property: no generated sensitive value — e-mails, Luhn-valid cards, mod-97 IBANs, phone numbers,
// provider keys, JWTs — survives `scrub`, reaches the upstream side of `redactMessages` (user text,
// tool-call arguments, tool results), or shows in the vault's or the guard's serialisations
// (JSON.stringify, String, util.inspect), the guard.* events or a GuardBlocked error.
import { inspect } from "node:util"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  guardInputEvents,
  guardRequest,
  piiPolicy,
  redactMessages,
  resolveGuardConfig,
  restore,
  scrub,
  Vault
} from "../src/index.ts"

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(""))
const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((c) => c.join(""))
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const UPPER_NUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
/** A random token that has both letters and digits (what real keys look like). */
const token = (alphabet: string, n: number) =>
  chars(alphabet, n - 2, n - 2).chain((t) =>
    fc.tuple(fc.constantFrom(..."abcdefghjkmnpqrstuvwxyz"), digits(1)).map(([l, d]) => `${l}${t}${d}`)
  )

const luhnDigit = (body: string): string => {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i])
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return String((10 - (sum % 10)) % 10)
}
const card = fc
  .tuple(
    fc.constantFrom(["4", 16], ["51", 16], ["55", 16], ["2221", 16], ["34", 15], ["37", 15], ["6011", 16]),
    fc.nat()
  )
  .chain(([[prefix, len]]) => digits((len as number) - (prefix as string).length - 1).map((d) => `${prefix}${d}`))
  .map((body) => body + luhnDigit(body))
  .chain((n) =>
    fc.constantFrom(
      n,
      n.length === 16 ? n.replace(/(\d{4})(?=\d)/g, "$1 ") : n,
      n.length === 16 ? n.replace(/(\d{4})(?=\d)/g, "$1-") : n
    )
  )

const mod97 = (s: string): number => {
  let r = 0
  for (const c of s) {
    const v = c >= "A" && c <= "Z" ? String(c.charCodeAt(0) - 55) : c
    for (const d of v) r = (r * 10 + Number(d)) % 97
  }
  return r
}
const ibanOf = (country: string, bban: string): string => {
  const check = 98 - mod97(`${bban}${country}00`)
  return `${country}${String(check).padStart(2, "0")}${bban}`
}
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
const iban = fc
  .oneof(
    fc.tuple(chars(LETTERS, 4, 4), digits(14)).map(([b, d]) => ibanOf("GB", b + d)),
    digits(18).map((d) => ibanOf("DE", d)),
    digits(23).map((d) => ibanOf("FR", d)),
    fc.tuple(chars(LETTERS, 4, 4), digits(10)).map(([b, d]) => ibanOf("NL", b + d)),
    digits(20).map((d) => ibanOf("ES", d))
  )
  .chain((i) => fc.constantFrom(i, i.replace(/(.{4})(?=.)/g, "$1 ")))

const phone = fc.oneof(
  fc
    .tuple(fc.constantFrom("+44", "+49", "+33", "+1", "+61", "+91"), digits(3), digits(3), digits(4))
    .map(([cc, a, b, c]) => `${cc} ${a} ${b} ${c}`),
  fc
    .tuple(fc.integer({ min: 2, max: 9 }), digits(2), fc.integer({ min: 2, max: 9 }), digits(2), digits(4))
    .map(([a, b, c, d, e]) => `(${a}${b}) ${c}${d}-${e}`),
  fc
    .tuple(fc.integer({ min: 2, max: 9 }), digits(2), fc.integer({ min: 2, max: 9 }), digits(2), digits(4))
    .map(([a, b, c, d, e]) => `${a}${b}-${c}${d}-${e}`),
  fc.tuple(digits(2), digits(4), digits(4)).map(([a, b, c]) => `+44${a}${b}${c}`)
)

const email = fc
  .tuple(
    chars("abcdefghijklmnopqrstuvwxyz", 1, 10),
    fc.constantFrom("", ".", "_", "+", "-"),
    chars("abcdefghijklmnopqrstuvwxyz0123456789", 1, 8),
    chars("abcdefghijklmnopqrstuvwxyz", 2, 12),
    fc.constantFrom("com", "org", "io", "co.uk", "de", "example")
  )
  .map(([a, sep, b, domain, tld]) => `${a}${sep}${b}@${domain}.${tld}`)

const b64url = (s: string) => Buffer.from(s).toString("base64url")
const jwt = fc
  .tuple(chars(ALNUM, 4, 16), fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), chars(`${ALNUM}-_`, 20, 43))
  .map(([sub, iat, sig]) => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub, iat }))}.${sig}`)

const providerKey = fc.oneof(
  token(ALNUM, 48).map((t) => `sk-proj-${t}`),
  token(`${ALNUM}_-`, 40).map((t) => `sk-ant-api03-${t}`),
  token(ALNUM, 32).map((t) => `sk-${t}`),
  chars(UPPER_NUM, 16, 16).map((t) => `AKIA${t}`),
  token(ALNUM, 36).map((t) => `ghp_${t}`),
  token(`${ALNUM}_`, 59).map((t) => `github_pat_${t}`),
  fc.tuple(digits(11), digits(12), token(ALNUM, 24)).map(([a, b, c]) => `xoxb-${a}-${b}-${c}`),
  chars(`${ALNUM}_-`, 35, 35).map((t) => `AIza${t}`),
  token(ALNUM, 20).map((t) => `glpat-${t}`),
  token(ALNUM, 24).map((t) => `sk_live_${t}`)
)

/** A value with a sentence around it that names what it is, as people write it. */
const sensitive = fc.oneof(
  email.map((v) => ({ v, text: `Please write to ${v} about the invoice.` })),
  card.map((v) => ({ v, text: `My card number is ${v}, expiry 09/27.` })),
  iban.map((v) => ({ v, text: `Transfer it to IBAN ${v} by Friday.` })),
  phone.map((v) => ({ v, text: `Call me on ${v} after six.` })),
  providerKey.map((v) => ({ v, text: `The key ${v} stopped working.` })),
  jwt.map((v) => ({ v, text: `Authorization failed for token ${v} today` }))
)

const config = resolveGuardConfig({ pii: "redact", injection: "block" })
const leaks = (haystack: string, v: string) => haystack.includes(v) || haystack.includes(JSON.stringify(v).slice(1, -1))

describe("no sensitive value survives", () => {
  it("scrub masks every value (and a caller's literal secrets), capped in length", () => {
    fc.assert(
      fc.property(sensitive, fc.string({ maxLength: 40 }), token(ALNUM, 12), ({ v, text }, noise, apiKey) => {
        const raw = `${noise} upstream error for key ${apiKey}: ${text} ${noise}${".".repeat(600)}`
        expect(leaks(raw, v)).toBe(true) // the check itself can fail
        const out = scrub(raw, [apiKey])
        expect(leaks(out, v)).toBe(false)
        expect(out).not.toContain(apiKey)
        expect(out.length).toBeLessThanOrEqual(500)
      }),
      { numRuns: 400 }
    )
  })

  it("redactMessages sends none upstream — user text, tool-call arguments, tool results — and restores all", () => {
    fc.assert(
      fc.property(sensitive, sensitive, ({ v, text }, other) => {
        const vault = Vault.make()
        const r = redactMessages(
          [
            { role: "system", content: "Be brief." },
            { role: "user", content: [{ type: "text", text }] },
            {
              role: "assistant",
              content: null,
              toolCalls: [{ id: "c1", name: "lookup", arguments: JSON.stringify({ q: other.text, raw: v }) }]
            },
            { role: "tool", toolCallId: "c1", content: JSON.stringify({ found: [v, other.v] }) },
            { role: "tool", toolCallId: "c1", content: `plain result: ${other.text}` }
          ],
          vault,
          piiPolicy("redact")
        )
        const upstream = JSON.stringify(r.messages)
        expect(leaks(upstream, v)).toBe(false)
        expect(leaks(upstream, other.v)).toBe(false)
        expect(JSON.stringify(r.findings)).not.toContain(v)
        expect(restore((r.messages[1]!.content as ReadonlyArray<{ readonly text: string }>)[0]!.text, vault)).toBe(text)
      }),
      { numRuns: 300 }
    )
  })

  it("the vault, the guarded request, its events and a block error never serialise a value", () => {
    fc.assert(
      fc.property(sensitive, ({ v, text }) => {
        const out = guardRequest([{ role: "user", content: text }], config)
        const vault = out.request.vault
        expect(vault.holds(v)).toBe(true)
        for (const shown of [
          JSON.stringify(vault),
          String(vault),
          `${vault}`,
          inspect(vault, { depth: 10, showHidden: true }),
          JSON.stringify(out),
          inspect(out, { depth: 10 }),
          JSON.stringify(guardInputEvents(out))
        ]) {
          expect(leaks(shown, v)).toBe(false)
        }
        const blocked = guardRequest([{ role: "user", content: text }], resolveGuardConfig({ pii: "block" }))
        expect(blocked._tag).toBe("Blocked")
        if (blocked._tag === "Blocked") {
          expect(leaks(JSON.stringify(blocked.error), v)).toBe(false)
          expect(leaks(blocked.error.message, v)).toBe(false)
          expect(leaks(inspect(blocked.error), v)).toBe(false)
        }
      }),
      { numRuns: 300 }
    )
  })
})
