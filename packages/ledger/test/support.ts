import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AttemptRecord, LedgerEntry, LedgerInput } from "@am/core"
import { Effect } from "effect"
import { buildEntry } from "../src/index.ts"

export const input = (overrides: Partial<LedgerInput> = {}): LedgerInput => ({
  requestId: "req-1",
  startedAt: 1_000,
  finishedAt: 1_250,
  route: "chat",
  initialMessages: [
    { role: "system", content: "be brief" },
    { role: "user", content: "What is the capital of France?" }
  ],
  responseText: "Paris.",
  outcome: "SUCCESS",
  attempts: [
    { provider: "primary", model: "gpt-4o", keyId: "k1", keyFingerprint: "fp1", outcome: "success", latencyMs: 250 }
  ],
  events: [
    { topic: "request.started", at: 1_000 },
    { topic: "request.succeeded", at: 1_250 }
  ],
  provider: "primary",
  model: "gpt-4o",
  keyFingerprint: "fp1",
  latencyMs: 250,
  apiCalls: 1,
  usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
  costUsd: 0.000_06,
  mitigationAttempted: false,
  mitigationSucceeded: false,
  ...overrides
})

export const failedAttempt = (provider: string, model: string, message?: string): AttemptRecord => ({
  provider,
  model,
  outcome: "failure",
  class: "server_error",
  latencyMs: 10,
  ...(message === undefined ? {} : { message })
})

/** A valid chain of `n` entries built without any store. */
export const chain = (n: number): Array<LedgerEntry> =>
  Array.from({ length: n }).reduce<Array<LedgerEntry>>((acc, _, i) => {
    const prev = acc[acc.length - 1]
    acc.push(buildEntry(input({ requestId: `req-${i + 1}`, startedAt: i, finishedAt: i + 5 }), prev))
    return acc
  }, [])

/** A fresh temp directory removed when the test's scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "am-ledger-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)
