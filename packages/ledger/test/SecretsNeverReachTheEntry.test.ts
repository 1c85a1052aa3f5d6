import { assert, describe, it } from "@effect/vitest"
import { buildEntry, preview, redact } from "../src/index.ts"
import { failedAttempt, input } from "./support.ts"

const planted = {
  openai: "sk-proj-AbCdEf0123456789XyZaBcDeF",
  anthropic: "sk-ant-api03-ZZtopSecretKey_123456789",
  google: "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv",
  email: "jane.doe+audit@example.co.uk",
  phone: "+1 (415) 555-0134",
  card: "4111 1111 1111 1111",
  iban: "DE89 3704 0044 0532 0130 00",
  ip: "192.168.10.42"
}
const all = Object.values(planted).join(" and ")

describe("secret scan", () => {
  it("no planted key or PII appears anywhere in the entry, whatever field carried it", () => {
    const entry = buildEntry(
      input({
        initialMessages: [{ role: "user", content: `my details: ${all}` }],
        finalMessages: [{ role: "user", content: `rephrased: ${all}` }],
        responseText: `echo: ${all}`,
        failureCode: `bad key ${planted.openai}`,
        outcome: "MITIGATED_SUCCESS",
        mitigationAttempted: true,
        mitigationSucceeded: true,
        attempts: [
          failedAttempt("primary", "gpt-4o", `401 Incorrect API key provided: ${planted.openai} for ${planted.email}`),
          failedAttempt("anthropic", "claude", `invalid x-api-key ${planted.anthropic} from ${planted.ip}`),
          failedAttempt("gemini", "flash", `API key not valid: ${planted.google}; card ${planted.card}`),
          {
            provider: "primary",
            model: "gpt-4o",
            outcome: "success",
            latencyMs: 5,
            message: `iban ${planted.iban} phone ${planted.phone}`
          }
        ]
      }),
      undefined
    )
    const serialised = JSON.stringify(entry)
    for (const [name, secret] of Object.entries(planted)) {
      assert.notInclude(serialised, secret, `${name} leaked`)
      // Nor a long fragment of it (a half-redacted key is still a leak).
      assert.notInclude(serialised, secret.replace(/\s/g, "").slice(4, 16), `${name} fragment leaked`)
    }
    assert.include(entry.initialPromptPreview, "[API_KEY]")
    assert.include(entry.initialPromptPreview, "[EMAIL]")
    assert.include(entry.attempts[0]?.message ?? "", "[API_KEY]")
    assert.include(entry.attempts[1]?.message ?? "", "[IP]")
    assert.include(entry.attempts[2]?.message ?? "", "[CARD]")
  })

  it("each rule uses its typed placeholder and leaves ordinary text alone", () => {
    assert.strictEqual(redact(`mail ${planted.email}`), "mail [EMAIL]")
    assert.strictEqual(redact(`call ${planted.phone} now`), "call [PHONE] now")
    assert.strictEqual(redact(`card ${planted.card}`), "card [CARD]")
    assert.strictEqual(redact(`iban ${planted.iban}`), "iban [IBAN]")
    assert.strictEqual(redact(`host ${planted.ip}`), "host [IP]")
    assert.strictEqual(
      redact(`keys ${planted.openai} ${planted.anthropic} ${planted.google}`),
      "keys [API_KEY] [API_KEY] [API_KEY]"
    )
    assert.strictEqual(redact("Authorization: Bearer abcdefghijklmnop1234"), "Authorization: Bearer [API_KEY]")
    const plain = "The capital of France is Paris; version 1.2.3 shipped in 2024 with 42 fixes."
    assert.strictEqual(redact(plain), plain)
  })

  it("a digit run failing Luhn is not a card, an IBAN failing mod-97 is not an IBAN", () => {
    assert.notInclude(redact("order 4111 1111 1111 1112"), "[CARD]")
    assert.notInclude(redact("ref DE00 3704 0044 0532 0130 00"), "[IBAN]")
  })
})

describe("preview of a huge text", () => {
  it("scans a bounded head, yet never shows a secret cut at the scan boundary", () => {
    const key = "sk-proj-AbCdEf0123456789XyZaBcDeF"
    // Mostly keys: redaction shrinks the head a lot, so the boundary could reach the preview.
    const keys = Array.from({ length: 2_000 }, () => key).join(" ")
    const p = preview(keys, 64)
    assert.strictEqual(p.length, 64)
    assert.notInclude(p, "sk-proj")
    assert.notInclude(p, "AbCdEf")
    // Very long keys shrink ~20×: the head alone would end inside the preview, so all is scanned.
    const longKey = `sk-ant-${"x".repeat(200)}`
    const longKeys = Array.from({ length: 200 }, () => longKey).join(" ")
    assert.strictEqual(
      preview(longKeys, 64),
      Array.from({ length: 7 }, () => "[API_KEY]")
        .join(" ")
        .slice(0, 64)
    )
    const huge = `${"word ".repeat(400_000)} ${key}`
    assert.strictEqual(preview(huge, 10), "word word ")
  })
})
