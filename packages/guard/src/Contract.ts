/**
 * A request's output contract, whichever way it came: a Standard Schema at the public edge
 * (`engine.completeObject({ schema })`), OpenAI's `response_format` in the gateway
 * (`json_schema` → a JSON Schema, `json_object` → any JSON value, `text` → no contract).
 * `checkOutput` is the one call the engine makes on an answer.
 *
 * @example
 * ```ts
 * import { checkOutput, contractOfResponseFormat } from "@am/guard"
 * const contract = contractOfResponseFormat({
 *   type: "json_schema",
 *   name: "city",
 *   schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
 * })
 * contract !== undefined && checkOutput(contract, "It is Lyon.")._tag // "Invalid"
 * ```
 * @since 0.2.0
 */
import type { ResponseFormat } from "@am/core"
import type { StandardSchema } from "effect"
import { type CompiledJsonSchema, compileJsonSchema, validateJsonValue } from "./JsonSchemaContract.ts"
import { type OutputResult, parseJsonAnswer, validateValue } from "./OutputContract.ts"

export type OutputContract =
  | {
      readonly _tag: "StandardSchema"
      readonly schema: StandardSchema.StandardSchemaV1
    }
  | {
      readonly _tag: "JsonSchema"
      readonly name: string
      readonly schema: Readonly<Record<string, unknown>>
      readonly compiled: CompiledJsonSchema
    }
  | { readonly _tag: "JsonObject" }

/** What kind of contract it is, for events and the ledger. */
export type ContractKind = "standard_schema" | "json_schema" | "json_object"

export const contractKind = (c: OutputContract): ContractKind =>
  c._tag === "StandardSchema" ? "standard_schema" : c._tag === "JsonSchema" ? "json_schema" : "json_object"

/** A contract from a Standard Schema (zod, Effect Schema via `Schema.toStandardSchemaV1`, …). */
export const standardSchemaContract = (schema: StandardSchema.StandardSchemaV1): OutputContract => ({
  _tag: "StandardSchema",
  schema
})

/** A contract from a JSON Schema (compiled now; see `unusableContract`). */
export const jsonSchemaContract = (name: string, schema: Readonly<Record<string, unknown>>): OutputContract => ({
  _tag: "JsonSchema",
  name,
  schema,
  compiled: compileJsonSchema(schema)
})

/**
 * The contract of an OpenAI-style `response_format`, or `undefined` for `text` (no contract).
 *
 * @example
 * ```ts
 * import { contractOfResponseFormat } from "@am/guard"
 * contractOfResponseFormat({ type: "json_object" }) // { _tag: "JsonObject" }
 * contractOfResponseFormat({ type: "text" }) // undefined
 * ```
 */
export const contractOfResponseFormat = (format: ResponseFormat | undefined): OutputContract | undefined => {
  if (format === undefined || format.type === "text") return undefined
  if (format.type === "json_object") return { _tag: "JsonObject" }
  return jsonSchemaContract(format.name, format.schema)
}

/**
 * Why a contract cannot be honoured by any answer (a JSON Schema that does not compile), so the
 * engine can refuse the request up front (scope `request`) instead of spending attempts.
 */
export const unusableContract = (c: OutputContract): string | undefined =>
  c._tag === "JsonSchema" && c.compiled._tag === "Unusable" ? c.compiled.message : undefined

/**
 * Parses and validates an answer against its contract. `json_object` asks for a JSON object
 * (OpenAI's JSON mode), nothing more.
 */
export const checkOutput = (contract: OutputContract, text: string): OutputResult<unknown> => {
  const parsed = parseJsonAnswer(text)
  if (parsed._tag === "Invalid") return parsed
  switch (contract._tag) {
    case "StandardSchema":
      return validateValue(contract.schema, parsed.value)
    case "JsonSchema":
      return validateJsonValue(contract.compiled, parsed.value)
    case "JsonObject":
      return typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)
        ? parsed
        : { _tag: "Invalid", issues: [{ path: "", message: "must be a JSON object" }] }
  }
}
