import type { ChatMessage } from "@am/core"
import { describe, expect, it } from "vitest"
import { piiPolicy, redactMessages, restoreMessage, Vault } from "../src/index.ts"

const key =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq8vX2mJ0hZ9a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0\n-----END PRIVATE KEY-----"
const messages: ReadonlyArray<ChatMessage> = [
  { role: "system", content: "Support bot for ops@example.com" },
  {
    role: "user",
    content: [
      { type: "text", text: "My card is 4111 1111 1111 1111" },
      { type: "image", url: "https://x.example/a.png" }
    ]
  },
  {
    role: "assistant",
    content: null,
    toolCalls: [{ id: "c1", name: "send", arguments: JSON.stringify({ to: "bob@example.com", key, n: 3 }, null, 2) }]
  },
  { role: "tool", toolCallId: "c1", content: '{"status":"sent","to":"bob@example.com","ip":"203.0.113.45"}' }
]

describe("request redaction", () => {
  const vault = Vault.make()
  const r = redactMessages(messages, vault, piiPolicy("redact"))
  const all = JSON.stringify(r.messages)

  it("leaves no value in any message, tool-call argument or tool result", () => {
    for (const v of ["ops@example.com", "4111 1111 1111 1111", "bob@example.com", "MIIEvQ", "203.0.113.45"]) {
      expect(all).not.toContain(v)
    }
    expect(r.findings.map((f) => `${f.message}/${f.part}/${f.entity}`)).toEqual([
      "0/content/email",
      "1/part:0/card",
      "2/tool_call:0/email",
      "2/tool_call:0/secret",
      "3/content/email",
      "3/content/ip"
    ])
  })

  it("keeps tool-call arguments and JSON tool results valid JSON with their keys and numbers", () => {
    const assistant = r.messages[2]
    if (assistant?.role !== "assistant") throw new Error("message 2 is the assistant's")
    const call = assistant.toolCalls![0]!
    expect(JSON.parse(call.arguments)).toEqual({ to: "⟦EMAIL_2⟧", key: "⟦SECRET_1⟧", n: 3 })
    expect(JSON.parse((r.messages[3] as { content: string }).content)).toEqual({
      status: "sent",
      to: "⟦EMAIL_2⟧",
      ip: "⟦IP_1⟧"
    })
  })

  it("restores tool-call arguments the model writes, escaping the originals for JSON", () => {
    const answer = restoreMessage(
      {
        role: "assistant",
        content: "Sent to ⟦EMAIL_2⟧",
        toolCalls: [{ id: "c2", name: "send", arguments: '{"key":"⟦SECRET_1⟧"}' }]
      },
      vault
    )
    expect(answer.content).toBe("Sent to bob@example.com")
    expect(JSON.parse(answer.toolCalls![0]!.arguments)).toEqual({ key })
  })

  it("returns messages without findings as the same objects", () => {
    const plain: ChatMessage = { role: "user", content: "hello" }
    expect(redactMessages([plain], Vault.make(), piiPolicy("redact")).messages[0]).toBe(plain)
  })
})
