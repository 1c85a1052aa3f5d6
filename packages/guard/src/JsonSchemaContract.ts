/**
 * Validation of an answer against an OpenAI-style `response_format: { type: "json_schema" }`
 * schema (JSON Schema 2020-12, the dialect OpenAI's structured outputs use: `$defs`, `anyOf`,
 * `additionalProperties`, `required`, `enum`, …), with Ajv — the most used and maintained JSON
 * Schema validator for JavaScript. Schemas are compiled once and cached by identity and by
 * their JSON text (compiling costs ~1 ms; validating a small answer a few µs).
 *
 * `format` is not asserted (Ajv needs the separate `ajv-formats` for that, and OpenAI's strict
 * mode does not check formats either); unknown keywords are allowed (`strict: false`), since
 * providers accept extensions such as `title` or `x-*`.
 *
 * @example
 * ```ts
 * import { validateJsonSchema } from "@am/guard"
 * const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] }
 * validateJsonSchema(schema, '{"n": 3}') // Valid({ n: 3 })
 * validateJsonSchema(schema, '{"n": "x"}') // Invalid([{ path: "n", message: "must be integer" }])
 * ```
 * @since 0.2.0
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js"
import { invalid, type OutputIssue, type OutputResult, parseJsonAnswer, valid } from "./OutputContract.ts"

/** A compiled JSON Schema, or why it does not compile. */
export type CompiledJsonSchema =
  | { readonly _tag: "Compiled"; readonly validate: ValidateFunction }
  | { readonly _tag: "Unusable"; readonly message: string }

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false })
const byIdentity = new WeakMap<object, CompiledJsonSchema>()
const byText = new Map<string, CompiledJsonSchema>()
const MAX_CACHED = 256

/**
 * Compiles `schema` (cached). An unusable schema — not an object, or invalid JSON Schema — is
 * reported, so the engine can refuse the request before any provider call.
 *
 * @example
 * ```ts
 * import { compileJsonSchema } from "@am/guard"
 * compileJsonSchema({ type: "nope" })._tag // "Unusable"
 * ```
 */
export const compileJsonSchema = (schema: unknown): CompiledJsonSchema => {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return { _tag: "Unusable", message: "the schema must be a JSON object" }
  }
  const known = byIdentity.get(schema)
  if (known !== undefined) return known
  const text = JSON.stringify(schema)
  let compiled = byText.get(text)
  if (compiled === undefined) {
    try {
      // A copy without `$id`, so two requests with the same id and different bodies never clash in Ajv's registry;
      // without `$schema`, so a draft-07 schema (zod's and the openai SDK's helpers emit it) is not refused
      // for naming a meta-schema this 2020-12 validator does not load — the keywords structured outputs
      // allow mean the same in both drafts.
      const { $id: _id, $schema: _meta, ...body } = schema as Record<string, unknown>
      compiled = { _tag: "Compiled", validate: ajv.compile(body) }
    } catch (e) {
      compiled = { _tag: "Unusable", message: `the schema does not compile: ${e instanceof Error ? e.message : e}` }
    }
    if (byText.size >= MAX_CACHED) byText.delete(byText.keys().next().value!)
    byText.set(text, compiled)
  }
  byIdentity.set(schema, compiled)
  return compiled
}

/** Ajv's `/items/0/name` as the project's dotted `items.0.name`; a missing property is named. */
const issueOf = (e: ErrorObject): OutputIssue => {
  const base = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
  const params = e.params as Record<string, unknown>
  if (e.keyword === "required" && typeof params.missingProperty === "string") {
    return { path: [...base, params.missingProperty].join("."), message: "is required" }
  }
  if (e.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return {
      path: [...base, params.additionalProperty].join("."),
      message: "is not allowed (no additional properties)"
    }
  }
  if (e.keyword === "enum" && Array.isArray(params.allowedValues)) {
    return {
      path: base.join("."),
      message: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`
    }
  }
  return { path: base.join("."), message: e.message ?? e.keyword }
}

/** Validates an already parsed value against a compiled schema. */
export const validateJsonValue = (compiled: CompiledJsonSchema, value: unknown): OutputResult<unknown> => {
  if (compiled._tag === "Unusable") return invalid([{ path: "", message: compiled.message }])
  if (compiled.validate(value)) return valid(value)
  const seen = new Set<string>()
  const issues: OutputIssue[] = []
  for (const e of compiled.validate.errors ?? []) {
    const issue = issueOf(e)
    const key = `${issue.path}\u0000${issue.message}`
    if (!seen.has(key)) {
      seen.add(key)
      issues.push(issue)
    }
  }
  return invalid(issues)
}

/**
 * Parses the answer `text` as JSON and validates it against the JSON Schema `schema`.
 *
 * @example
 * ```ts
 * import { validateJsonSchema } from "@am/guard"
 * validateJsonSchema({ type: "array", items: { type: "string" } }, '```json\n["a","b"]\n```')._tag // "Valid"
 * ```
 */
export const validateJsonSchema = (schema: unknown, text: string): OutputResult<unknown> => {
  const compiled = compileJsonSchema(schema)
  if (compiled._tag === "Unusable") return invalid([{ path: "", message: compiled.message }])
  const parsed = parseJsonAnswer(text)
  return parsed._tag === "Invalid" ? parsed : validateJsonValue(compiled, parsed.value)
}
