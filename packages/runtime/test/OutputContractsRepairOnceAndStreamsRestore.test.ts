// Output contracts and streamed restoration through createEngine: a json_schema answer in prose
// is repaired once (the repair is its own attempt) and succeeds, or fails with output_invalid
// naming the issues; completeObject returns the value typed by a zod schema (checked at the
// type level); a placeholder split across two streamed chunks reaches the client as the value.
import { MemoryProvider, type MemoryStep } from "@am/testkit"
import { describe, expect, expectTypeOf, it } from "vitest"
import { z } from "zod"
import { createEngine, OutputInvalidError } from "../src/index.ts"

const config = (guards?: object) => ({
  providers: {
    primary: { kind: "openai", keys: [{ id: "k1", secret: "sk-contract-0000000000" }], models: [{ name: "gpt-4o" }] }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  retry: { maxAttempts: 3, providerRetries: 0 },
  ...(guards !== undefined ? { guards } : {})
})

const says = (text: string): MemoryStep => ({ stream: [{ text }, { finish: "stop" }] })

const citySchema = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "integer" } },
  required: ["city", "population"],
  additionalProperties: false
}
const jsonSchemaRequest = {
  messages: [{ role: "user", content: "The largest city of France as JSON" }],
  responseFormat: { type: "json_schema", name: "city", schema: citySchema }
}

describe("output contracts", () => {
  it("a json_schema request answered with prose is repaired once and succeeds", async () => {
    const p = MemoryProvider.make({
      id: "primary",
      script: [says("The largest city is Paris."), says('{"city":"Paris","population":2100000}')]
    })
    await using engine = createEngine(config(), { providers: [p] })
    const answer = await engine.complete(jsonSchemaRequest)
    expect(JSON.parse(answer.message.content as string)).toEqual({ city: "Paris", population: 2100000 })
    expect(answer.output).toEqual({ city: "Paris", population: 2100000 })
    expect(answer.resilience.attempts.filter((a) => a.outcome !== "skipped")).toHaveLength(2)
    expect(answer.resilience.guard?.output).toBe("repaired")
    expect(p.calls).toHaveLength(2)
    // The repair call names the issue and restates the schema.
    expect(p.calls[1]!.prompt).toContain("does not satisfy the required output format")
    expect(p.calls[1]!.prompt).toContain('"population"')
  })

  it("a second invalid answer fails with output_invalid and the issues, after exactly two calls", async () => {
    const p = MemoryProvider.make({
      id: "primary",
      script: [says("Paris."), says('{"city":"Paris","population":"lots"}')]
    })
    await using engine = createEngine(config(), { providers: [p] })
    const error = await engine.complete(jsonSchemaRequest).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OutputInvalidError)
    const e = error as OutputInvalidError
    expect(e.code).toBe("output_invalid")
    expect(e.issues?.some((i) => i.path === "population")).toBe(true)
    expect(e.attempts.filter((a) => a.outcome !== "skipped")).toHaveLength(2)
    expect(p.calls).toHaveLength(2)
  })

  it("the repair counts against maxAttempts: with none left the first invalid answer fails", async () => {
    const p = MemoryProvider.make({ id: "primary", script: [says("Paris.")] })
    await using engine = createEngine(
      { ...config(), retry: { maxAttempts: 1, providerRetries: 0 } },
      { providers: [p] }
    )
    const error = await engine.complete(jsonSchemaRequest).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OutputInvalidError)
    expect(p.calls).toHaveLength(1)
  })

  it("completeObject parses and validates with zod, typed by the schema", async () => {
    const p = MemoryProvider.make({
      id: "primary",
      script: [says('Sure:\n```json\n{"city":"Lyon","population":520000}\n```')]
    })
    await using engine = createEngine(config(), { providers: [p] })
    const schema = z.object({ city: z.string(), population: z.number().int() })
    const value = await engine.completeObject({ schema, messages: [{ role: "user", content: "Lyon as JSON" }] })
    expectTypeOf(value).toEqualTypeOf<{ city: string; population: number }>()
    expect(value).toEqual({ city: "Lyon", population: 520000 })
    // A transforming schema gives its output type.
    const upper = z.object({ city: z.string().transform((s) => s.length) })
    const p2 = MemoryProvider.make({ id: "primary", script: [says('{"city":"Lyon"}')] })
    await using e2 = createEngine(config(), { providers: [p2] })
    const n = await e2.completeObject({ schema: upper, messages: [{ role: "user", content: "x" }] })
    expectTypeOf(n).toEqualTypeOf<{ city: number }>()
    expect(n.city).toBe(4)
  })

  it("completeObject restores redacted values inside the parsed object", async () => {
    const p = MemoryProvider.make({ id: "primary", script: [says('{"to":"⟦EMAIL_1⟧"}')] })
    await using engine = createEngine(config({ pii: "redact" }), { providers: [p] })
    const value = await engine.completeObject({
      schema: z.object({ to: z.string() }),
      messages: [{ role: "user", content: "Write to ada@example.com, as JSON {to}" }]
    })
    expect(p.calls[0]!.prompt).not.toContain("ada@example.com")
    expect(value.to).toBe("ada@example.com")
  })
})

describe("streamed restoration", () => {
  it("a placeholder split across two chunks is restored; the client never sees a placeholder", async () => {
    const p = MemoryProvider.make({
      id: "primary",
      script: [
        { stream: [{ text: "Mail ⟦EMA" }, { text: "IL_1⟧ and ⟦" }, { text: "PHONE_1⟧ now" }, { finish: "stop" }] }
      ]
    })
    await using engine = createEngine(config({ pii: "redact" }), { providers: [p] })
    const chunks: Array<string> = []
    for await (const c of engine.stream({
      messages: [{ role: "user", content: "Contact bob@example.com or +44 20 7946 0958" }]
    })) {
      if (c._tag === "TextDelta") chunks.push(c.text)
    }
    expect(p.calls[0]!.prompt).toBe("Contact ⟦EMAIL_1⟧ or ⟦PHONE_1⟧")
    expect(chunks.join("")).toBe("Mail bob@example.com and +44 20 7946 0958 now")
    for (const c of chunks) expect(c).not.toMatch(/[⟦⟧]/)
  })

  it("a fragment that never completes is released as it was at the end", async () => {
    const p = MemoryProvider.make({ id: "primary", script: [{ stream: [{ text: "ok ⟦EMA" }, { finish: "stop" }] }] })
    await using engine = createEngine(config({ pii: "redact" }), { providers: [p] })
    let out = ""
    for await (const c of engine.stream({ messages: [{ role: "user", content: "hi bob@example.com" }] })) {
      if (c._tag === "TextDelta") out += c.text
    }
    expect(out).toBe("ok ⟦EMA")
  })
})
