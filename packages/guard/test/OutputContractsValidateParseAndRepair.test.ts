import { describe, expect, expectTypeOf, it } from "vitest"
import { z } from "zod"
import {
  checkOutput,
  contractOfResponseFormat,
  type OutputResult,
  parseJsonAnswer,
  repairInstruction,
  repairMessages,
  standardSchemaContract,
  unusableContract,
  Vault,
  validateJsonSchema,
  validateOutput,
  validateOutputAsync
} from "../src/index.ts"

const Person = z.object({ name: z.string(), age: z.number().int(), tags: z.array(z.string()).optional() })

describe("output contracts with a Standard Schema (zod)", () => {
  it("returns the parsed value typed by the schema's output", () => {
    const r = validateOutput(Person, '{"name":"Ada","age":36}')
    expectTypeOf(r).toEqualTypeOf<OutputResult<{ name: string; age: number; tags?: string[] | undefined }>>()
    if (r._tag !== "Valid") throw new Error("expected Valid")
    expectTypeOf(r.value.age).toEqualTypeOf<number>()
    expect(r.value).toEqual({ name: "Ada", age: 36 })
  })

  it("applies the schema's transforms (output type, not input type)", () => {
    const Dated = z.object({ when: z.string().transform((s) => s.length) })
    const r = validateOutput(Dated, '{"when":"2024-05-01"}')
    if (r._tag !== "Valid") throw new Error("expected Valid")
    expectTypeOf(r.value.when).toEqualTypeOf<number>()
    expect(r.value.when).toBe(10)
  })

  it("tolerates a ```json fence and prose around one object", () => {
    expect(validateOutput(Person, 'Here it is:\n```json\n{"name":"Ada","age":36}\n```\nAnything else?')._tag).toBe(
      "Valid"
    )
    expect(validateOutput(Person, 'Sure! {"name":"Ada","age":36} Hope that helps.')._tag).toBe("Valid")
    expect(parseJsonAnswer('prefix {"a":"}"} suffix')).toEqual({ _tag: "Valid", value: { a: "}" } })
  })

  it("names every failing field with its dotted path", () => {
    const r = validateOutput(Person, '{"name": 3, "age": 1.5, "tags": ["ok", 7]}')
    if (r._tag !== "Invalid") throw new Error("expected Invalid")
    expect(r.issues.map((i) => i.path).sort()).toEqual(["age", "name", "tags.1"])
    for (const i of r.issues) expect(i.message.length).toBeGreaterThan(0)
  })

  it("fails prose with an issue on the answer itself", () => {
    const r = validateOutput(Person, "Ada is 36 years old.")
    expect(r).toEqual({ _tag: "Invalid", issues: [{ path: "", message: "the answer is not JSON" }] })
    expect(validateOutput(Person, "  ")._tag).toBe("Invalid")
  })

  it("validates schemas with async refinements through validateOutputAsync", async () => {
    const Async = z.object({ n: z.number() }).refine(async (v) => v.n > 0, { message: "n must be positive" })
    expect(validateOutput(Async, '{"n":1}')._tag).toBe("Invalid")
    expect((await validateOutputAsync(Async, '{"n":1}'))._tag).toBe("Valid")
    const bad = await validateOutputAsync(Async, '{"n":-1}')
    expect(bad._tag === "Invalid" && bad.issues[0]?.message).toBe("n must be positive")
  })
})

describe("output contracts from OpenAI's response_format", () => {
  const schema = {
    type: "object",
    properties: {
      city: { type: "string" },
      population: { type: "integer", minimum: 0 },
      kind: { enum: ["capital", "town"] },
      stops: { type: "array", items: { $ref: "#/$defs/stop" } }
    },
    required: ["city", "population"],
    additionalProperties: false,
    $defs: { stop: { type: "object", properties: { at: { type: "string" } }, required: ["at"] } }
  }

  it("validates json_schema answers with Ajv and reports dotted paths", () => {
    const contract = contractOfResponseFormat({ type: "json_schema", name: "city", schema, strict: true })!
    expect(unusableContract(contract)).toBeUndefined()
    expect(checkOutput(contract, '{"city":"Lyon","population":522000}')._tag).toBe("Valid")
    const r = checkOutput(contract, '{"population":-1,"kind":"village","extra":1,"stops":[{}]}')
    if (r._tag !== "Invalid") throw new Error("expected Invalid")
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.message]))
    expect(Object.keys(byPath).sort()).toEqual(["city", "extra", "kind", "population", "stops.0.at"])
    expect(byPath.city).toBe("is required")
    expect(byPath.kind).toContain('"capital"')
  })

  it("json_object asks for a JSON object, text for nothing", () => {
    const contract = contractOfResponseFormat({ type: "json_object" })!
    expect(checkOutput(contract, '{"a":1}')._tag).toBe("Valid")
    expect(checkOutput(contract, "[1,2]")._tag).toBe("Invalid")
    expect(checkOutput(contract, "hello")._tag).toBe("Invalid")
    expect(contractOfResponseFormat({ type: "text" })).toBeUndefined()
  })

  it("reports a schema that cannot compile, so the request can be refused before any call", () => {
    const contract = contractOfResponseFormat({ type: "json_schema", name: "bad", schema: { type: "nope" } })!
    expect(unusableContract(contract)).toMatch(/does not compile/)
    expect(validateJsonSchema({ type: "nope" }, "{}")._tag).toBe("Invalid")
  })

  it("a standard-schema contract checks like validateOutput", () => {
    expect(checkOutput(standardSchemaContract(Person), '{"name":"x","age":1}')._tag).toBe("Valid")
  })
})

describe("the repair instruction", () => {
  it("names each issue's path and message and asks for JSON only", () => {
    const r = validateOutput(Person, '{"name": 3}')
    if (r._tag !== "Invalid") throw new Error("expected Invalid")
    const text = repairInstruction(r.issues).content as string
    for (const i of r.issues) expect(text).toContain(`- ${i.path}: ${i.message}`)
    expect(text).toMatch(/only the corrected JSON/)
  })

  it("lists the answer-level issue, caps the list and restates a JSON Schema", () => {
    const issues = Array.from({ length: 14 }, (_, k) => ({ path: `items.${k}`, message: "must be string" }))
    const text = repairInstruction([{ path: "", message: "the answer is not JSON" }, ...issues], {
      maxIssues: 5,
      jsonSchema: { type: "array" }
    }).content as string
    expect(text).toContain("- (the answer): the answer is not JSON")
    expect(text).toContain("… and 10 more")
    expect(text).not.toContain("items.5")
    expect(text).toContain('{"type":"array"}')
  })

  it("never carries PII from the issues: redacted into the request's vault, or masked", () => {
    const vault = Vault.make()
    const known = vault.placeholderFor("email", "bob@example.com")
    const issues = [{ path: "to", message: "bob@example.com is not on the allow-list; card 4111 1111 1111 1111" }]
    const withVault = repairInstruction(issues, { vault }).content as string
    expect(withVault).toContain(known)
    expect(withVault).not.toContain("bob@example.com")
    expect(withVault).not.toContain("4111 1111 1111 1111")
    const masked = repairInstruction(issues).content as string
    expect(masked).not.toContain("bob@example.com")
    expect(masked).toContain("⟦EMAIL⟧")
  })

  it("builds the repair attempt's messages: request, failed answer, instruction", () => {
    const messages = repairMessages([{ role: "user", content: "JSON please" }], "Sure: Ada, 36", [
      { path: "", message: "the answer is not JSON" }
    ])
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"])
    expect(messages[1]!.content).toBe("Sure: Ada, 36")
  })
})
