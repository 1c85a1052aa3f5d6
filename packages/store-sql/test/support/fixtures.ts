import type { LedgerEntry, LlmRun } from "@am/core"

export const entry = (seq: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  seq,
  requestId: `req-${seq}`,
  startedAt: 1_700_000_000_000 + seq * 1000,
  finishedAt: 1_700_000_000_500 + seq * 1000,
  workspaceId: "ws-1",
  route: "chat",
  promptSha256: "a".repeat(64),
  initialPromptPreview: `prompt ${seq} — ünïcode`,
  outcome: "SUCCESS",
  attempts: [
    {
      provider: "openai",
      model: "gpt-4o",
      keyId: "k1",
      keyFingerprint: "fp1",
      outcome: "success",
      latencyMs: 120,
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 }
    }
  ],
  events: [{ topic: "api.call.success", at: 1_700_000_000_100 + seq * 1000 }],
  provider: "openai",
  model: "gpt-4o",
  latencyMs: 500,
  apiCalls: 1,
  costUsd: 0.0012,
  mitigationAttempted: false,
  mitigationSucceeded: false,
  resilienceScore: 1,
  prevHash: seq === 1 ? "0".repeat(64) : `h${seq - 1}`,
  hash: `h${seq}`,
  ...overrides
})

export const run = (id: string, overrides: Partial<LlmRun> = {}): LlmRun => ({
  id,
  workspaceId: "ws-1",
  promptSha256: "b".repeat(64),
  status: "STARTED",
  provider: "openai",
  model: "gpt-4o",
  createdAt: 1_700_000_000_000,
  ...overrides
})
