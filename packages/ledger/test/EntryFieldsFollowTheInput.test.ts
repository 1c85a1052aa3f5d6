import { promptSha256 } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { buildEntry, DEFAULT_PREVIEW_LENGTHS } from "../src/index.ts"
import { input } from "./support.ts"

const sha = (s: string) => createHash("sha256").update(s, "utf8").digest("hex")

describe("buildEntry", () => {
  it("hashes the NFC-normalised, trimmed user messages joined with a newline", () => {
    const entry = buildEntry(
      input({
        initialMessages: [
          { role: "system", content: "ignored" },
          { role: "user", content: "  Cafe\u0301 " },
          { role: "assistant", content: "ignored too" },
          { role: "user", content: [{ type: "text", text: "second" }] }
        ]
      }),
      undefined
    )
    assert.strictEqual(entry.promptSha256, sha("Café \nsecond".normalize("NFC").trim()))
    assert.strictEqual(entry.promptSha256, sha("Caf\u00e9 \nsecond"))
    assert.strictEqual(
      entry.promptSha256,
      promptSha256([
        { role: "user", content: "Caf\u00e9 " },
        { role: "user", content: "second  " }
      ])
    )
  })

  it("previews are cut to the configured lengths; the final prompt only when it was rewritten", () => {
    const long = "x".repeat(5_000)
    const same = buildEntry(
      input({
        initialMessages: [{ role: "user", content: long }],
        finalMessages: [{ role: "user", content: long }],
        responseText: long
      }),
      undefined
    )
    assert.strictEqual(same.initialPromptPreview.length, DEFAULT_PREVIEW_LENGTHS.initialPrompt)
    assert.strictEqual(same.responsePreview?.length, DEFAULT_PREVIEW_LENGTHS.response)
    assert.isUndefined(same.finalPromptPreview)
    const rewritten = buildEntry(
      input({ finalMessages: [{ role: "user", content: "please tell me the capital" }] }),
      undefined,
      { previewLengths: { initialPrompt: 10, finalPrompt: 6 } }
    )
    assert.strictEqual(rewritten.initialPromptPreview, "What is th")
    assert.strictEqual(rewritten.finalPromptPreview, "please")
  })

  it("copies outcome, attempts, events, final target, usage and cost; scores the request", () => {
    const i = input()
    const entry = buildEntry(i, { seq: 41, hash: "a".repeat(64) })
    assert.strictEqual(entry.seq, 42)
    assert.strictEqual(entry.prevHash, "a".repeat(64))
    assert.deepStrictEqual(entry.attempts, i.attempts)
    assert.deepStrictEqual(entry.events, i.events)
    assert.strictEqual(entry.provider, "primary")
    assert.strictEqual(entry.keyFingerprint, "fp1")
    assert.deepStrictEqual(entry.usage, i.usage)
    assert.strictEqual(entry.costUsd, i.costUsd)
    assert.strictEqual(entry.apiCalls, 1)
    assert.strictEqual(entry.resilienceScore, 1)
    const failed = buildEntry(input({ outcome: "FAILURE", failureCode: "all_providers_failed" }), undefined)
    assert.strictEqual(failed.resilienceScore, 0)
    assert.strictEqual(failed.failureCode, "all_providers_failed")
  })
})
