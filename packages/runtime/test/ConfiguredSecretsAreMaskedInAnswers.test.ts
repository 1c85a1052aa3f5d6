// A configured provider key found in an answer is masked before it reaches the
// caller: streamed with guards off (the key split across chunks, nothing of it visible in any
// chunk), and complete with guards off and on. Through createEngine.
import { MemoryProvider, type MemoryStep } from "@am/testkit"
import { describe, expect, it } from "vitest"
import { createEngine } from "../src/index.ts"

const PROVIDER_KEY = "sk-configured-provider-key-0001"
const OTHER_KEY = "am-configured-second-key-0001"

const config = (guards?: object) => ({
  providers: {
    primary: {
      kind: "openai",
      keys: [
        { id: "k1", secret: PROVIDER_KEY },
        { id: "k2", secret: OTHER_KEY }
      ],
      models: [{ name: "gpt-4o" }]
    }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { maxAttempts: 1, providerRetries: 0 },
  ...(guards !== undefined ? { guards } : {})
})

const split = (text: string, at: ReadonlyArray<number>): MemoryStep => {
  const cuts = [0, ...at, text.length]
  return {
    stream: [...cuts.slice(1).map((end, i) => ({ text: text.slice(cuts[i], end) })), { finish: "stop" as const }]
  }
}

describe("configured secrets in answers", () => {
  it("are masked in a stream with guards off, a key split across three chunks", async () => {
    const answer = `Your key is ${PROVIDER_KEY} and the other is ${OTHER_KEY}.`
    const at = answer.indexOf(PROVIDER_KEY)
    const g = answer.indexOf(OTHER_KEY)
    const p = MemoryProvider.make({ id: "primary", script: [split(answer, [at + 3, at + 12, g + 20])] })
    await using engine = createEngine(config(), { providers: [p] })
    const chunks: Array<string> = []
    for await (const c of engine.stream({ messages: [{ role: "user", content: "what are the keys?" }] })) {
      if (c._tag === "TextDelta") chunks.push(c.text)
    }
    const text = chunks.join("")
    expect(text).toBe("Your key is ⟦SECRET⟧ and the other is ⟦SECRET⟧.")
    // no chunk shows the start of a key before the masker knew what it was
    for (const c of chunks) expect(c).not.toMatch(/sk-c|am-c/)
  })

  it("are masked in a complete answer with guards on", async () => {
    const p = MemoryProvider.make({ id: "primary", reply: `key=${PROVIDER_KEY}` })
    await using engine = createEngine(config({ pii: "redact" }), { providers: [p] })
    const r = await engine.complete({ messages: [{ role: "user", content: "the key?" }] })
    expect(r.message.content).toBe("key=⟦SECRET⟧")
  })

  it("are masked in a complete answer with guards off (the default config)", async () => {
    const p = MemoryProvider.make({ id: "primary", reply: `here: ${PROVIDER_KEY}; and ${OTHER_KEY}` })
    await using engine = createEngine(config(), { providers: [p] })
    const r = await engine.complete({ messages: [{ role: "user", content: "the key?" }] })
    expect(r.message.content).toBe("here: ⟦SECRET⟧; and ⟦SECRET⟧")
  })

  it("leave an answer without them as it is", async () => {
    const p = MemoryProvider.make({
      id: "primary",
      script: [split("sk-conf is not a key, am-configured neither", [4, 20])]
    })
    await using engine = createEngine(config(), { providers: [p] })
    let text = ""
    for await (const c of engine.stream({ messages: [{ role: "user", content: "x" }] })) {
      if (c._tag === "TextDelta") text += c.text
    }
    expect(text).toBe("sk-conf is not a key, am-configured neither")
  })
})
