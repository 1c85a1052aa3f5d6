// Guarded streams through createEngine: streamed tool-call arguments get the originals back
// escaped for JSON (a value with a quote or a backslash keeps the arguments valid JSON, also
// when the placeholder is split across chunks); the config's sanitisation strips control
// characters and HTML from a streamed answer, split tags included; maxAnswerChars cuts a stream
// with finish reason `length`, or ends it with output_invalid when the policy is to fail.
import { MemoryProvider, type MemoryStep } from "@am/testkit"
import { describe, expect, it } from "vitest"
import { createEngine } from "../src/index.ts"

const config = (guards: object) => ({
  providers: {
    primary: { kind: "openai", keys: [{ id: "k1", secret: "sk-stream-guard-000000" }], models: [{ name: "gpt-4o" }] }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { maxAttempts: 1, providerRetries: 0 },
  guards
})

const read = async (engine: ReturnType<typeof createEngine>, content: string) => {
  let text = ""
  const args = new Map<number, string>()
  let finish: string | undefined
  for await (const c of engine.stream({ messages: [{ role: "user", content }] })) {
    if (c._tag === "TextDelta") text += c.text
    if (c._tag === "ToolCallDelta") args.set(c.index, (args.get(c.index) ?? "") + (c.argumentsDelta ?? ""))
    if (c._tag === "Finish") finish = c.finishReason
  }
  return { text, args, finish }
}

describe("guarded streams", () => {
  it("restores tool-call arguments escaped for JSON, a split placeholder included", async () => {
    // Values that break JSON unescaped: a private key (newlines) and a password with backslashes.
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98VxYz\n-----END RSA PRIVATE KEY-----"
    const prompt = `use the key ${key} and then password: "hu\\nter2\\"Xy" to log in`
    const step: MemoryStep = {
      stream: [
        { tool: { index: 0, id: "call_1", name: "login", arguments: '{"key":"⟦SEC' } },
        { tool: { index: 0, arguments: 'RET_1⟧","password":"⟦SECRET_2⟧"}' } },
        { finish: "tool_calls" }
      ]
    }
    const p = MemoryProvider.make({ id: "primary", script: [step] })
    await using engine = createEngine(config({ pii: "redact" }), { providers: [p] })
    const { args } = await read(engine, prompt)
    expect(p.calls[0]?.prompt).not.toContain("PRIVATE KEY-----\nMII")
    expect(p.calls[0]?.prompt).not.toContain("hu\\nter2")
    const parsed = JSON.parse(args.get(0) ?? "") as { key: string; password: string }
    expect(parsed.key).toBe(key)
    expect(prompt).toContain(parsed.password)
    expect(parsed.password).toContain("\\")
    expect(args.get(0)).not.toMatch(/[⟦⟧]/)
  })

  it("sanitises a streamed answer: control characters and split HTML tags removed", async () => {
    const step: MemoryStep = {
      stream: [
        { text: "Hello\u0007 <scr" },
        { text: "ipt>alert(1)</script>wor" },
        { text: "ld\u001b[31m!" },
        { finish: "stop" }
      ]
    }
    const p = MemoryProvider.make({ id: "primary", script: [step] })
    await using engine = createEngine(config({ sanitize: { controlChars: "strip", html: "strip" } }), {
      providers: [p]
    })
    const { text, finish } = await read(engine, "greet")
    expect([...text].filter((c) => c.charCodeAt(0) < 32)).toEqual([])
    expect(text).not.toContain("<")
    expect(text).not.toContain("alert")
    expect(text).toContain("Hello")
    expect(text).toContain("world")
    expect(finish).toBe("stop")
  })

  it("cuts a stream at maxAnswerChars with finish reason length", async () => {
    const step: MemoryStep = { stream: [{ text: "a".repeat(30) }, { text: "b".repeat(30) }, { finish: "stop" }] }
    const p = MemoryProvider.make({ id: "primary", script: [step] })
    await using engine = createEngine(config({ limits: { maxAnswerChars: 40 } }), { providers: [p] })
    const { text, finish } = await read(engine, "say a lot")
    expect(text.length).toBeLessThanOrEqual(40)
    expect(text.startsWith("a".repeat(30))).toBe(true)
    expect(finish).toBe("length")
  })

  it("ends a stream above maxAnswerChars with output_invalid when the policy is fail", async () => {
    const step: MemoryStep = { stream: [{ text: "a".repeat(30) }, { text: "b".repeat(30) }, { finish: "stop" }] }
    const p = MemoryProvider.make({ id: "primary", script: [step] })
    await using engine = createEngine(config({ limits: { maxAnswerChars: 40, answerOverflow: "fail" } }), {
      providers: [p]
    })
    const failure = await read(engine, "say a lot").then(
      () => undefined,
      (e: unknown) => e
    )
    expect(failure).toBeInstanceOf(Error)
    expect(String((failure as { code?: string }).code ?? failure)).toContain("output_invalid")
  })
})
