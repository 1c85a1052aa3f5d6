/**
 * Output contracts: an answer parsed as JSON (a ```json fence or prose around one object
 * tolerated) and validated against a Standard Schema (zod, Effect Schema, Valibot, …) or an
 * OpenAI-style `json_schema` (see `JsonSchemaContract.ts`). The result is `Valid(value)` or
 * `Invalid(issues)`, each issue a dotted path (`items.0.name`, `""` for the answer itself) and a
 * message — what the repair instruction names for the engine's one retry.
 *
 * @example
 * ```ts
 * import { validateOutput } from "@am/guard"
 * import { z } from "zod"
 *
 * const Person = z.object({ name: z.string(), age: z.number() })
 * const r = validateOutput(Person, 'Here you go:\n```json\n{"name":"Ada","age":36}\n```')
 * if (r._tag === "Valid") r.value.age // 36, typed as number
 * validateOutput(Person, '{"name":"Ada"}') // Invalid([{ path: "age", message: "Invalid input: expected number, received undefined" }])
 * ```
 * @since 0.2.0
 */
import type { StandardSchema } from "effect"

type StandardSchemaV1<I = unknown, O = I> = StandardSchema.StandardSchemaV1<I, O>

/** One validation problem: where (dotted path, `""` for the whole answer) and what. */
export interface OutputIssue {
  readonly path: string
  readonly message: string
}

/** The answer honours its contract; `value` is the parsed (and schema-transformed) value. */
export interface Valid<A> {
  readonly _tag: "Valid"
  readonly value: A
}

/** The answer does not honour its contract. */
export interface Invalid {
  readonly _tag: "Invalid"
  readonly issues: ReadonlyArray<OutputIssue>
}

export type OutputResult<A> = Valid<A> | Invalid

export const valid = <A>(value: A): Valid<A> => ({ _tag: "Valid", value })
export const invalid = (issues: ReadonlyArray<OutputIssue>): Invalid => ({ _tag: "Invalid", issues })

const FENCE = /```[ \t]*(?:json5?|jsonc|javascript|js)?[ \t]*\r?\n?([\s\S]*?)```/i

const tryParse = (text: string): { ok: true; value: unknown } | { ok: false; error: string } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) }
  }
}

/** The first balanced `{…}` or `[…]` span of `text` (strings and escapes respected), if any. */
const balancedSpan = (text: string): string | undefined => {
  const start = text.search(/[{[]/)
  if (start < 0) return undefined
  const stack: string[] = []
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      if (c === "\\") i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === "{" || c === "[") stack.push(c === "{" ? "}" : "]")
    else if (c === "}" || c === "]") {
      if (stack.pop() !== c) return undefined
      if (stack.length === 0) return text.slice(start, i + 1)
    }
  }
  return undefined
}

/**
 * The JSON value in an answer: the whole text, else the first fenced code block, else the first
 * balanced object or array in the prose around it.
 *
 * @example
 * ```ts
 * import { parseJsonAnswer } from "@am/guard"
 * parseJsonAnswer('Sure! {"ok": true} Anything else?') // Valid({ ok: true })
 * parseJsonAnswer("I cannot do that.")._tag // "Invalid"
 * ```
 */
export const parseJsonAnswer = (text: string): OutputResult<unknown> => {
  const trimmed = text.trim()
  const whole = tryParse(trimmed)
  if (whole.ok) return valid(whole.value)
  const fence = FENCE.exec(trimmed)
  if (fence !== null) {
    const inner = tryParse(fence[1]!.trim())
    if (inner.ok) return valid(inner.value)
    return invalid([{ path: "", message: `the fenced block is not valid JSON (${inner.error})` }])
  }
  const span = balancedSpan(trimmed)
  if (span !== undefined) {
    const inner = tryParse(span)
    if (inner.ok) return valid(inner.value)
  }
  return invalid([
    { path: "", message: trimmed === "" ? "the answer is empty, expected JSON" : "the answer is not JSON" }
  ])
}

const keyOf = (segment: PropertyKey | StandardSchema.StandardSchemaV1.PathSegment): PropertyKey =>
  typeof segment === "object" ? segment.key : segment

/** A Standard Schema issue path as the dotted path the project uses (`items.0.name`). */
export const dottedPath = (
  path: ReadonlyArray<PropertyKey | StandardSchema.StandardSchemaV1.PathSegment> | undefined
): string => (path ?? []).map((s) => String(keyOf(s))).join(".")

const fromStandard = <O>(result: StandardSchema.StandardSchemaV1.Result<O>): OutputResult<O> =>
  result.issues === undefined
    ? valid(result.value)
    : invalid(result.issues.map((i) => ({ path: dottedPath(i.path), message: i.message })))

/**
 * Validates a parsed value against a Standard Schema. A schema that validates asynchronously
 * (an async refinement) gives `Invalid` here; use `validateValueAsync` for those.
 */
export const validateValue = <S extends StandardSchemaV1>(
  schema: S,
  value: unknown
): OutputResult<StandardSchema.StandardSchemaV1.InferOutput<S>> => {
  const r = schema["~standard"].validate(value)
  if (r instanceof Promise) {
    return invalid([{ path: "", message: "the schema validates asynchronously; use validateOutputAsync" }])
  }
  return fromStandard(r as StandardSchema.StandardSchemaV1.Result<StandardSchema.StandardSchemaV1.InferOutput<S>>)
}

/**
 * Parses the answer `text` as JSON and validates it against `schema`, typed by the schema's
 * output.
 *
 * @example
 * ```ts
 * import { validateOutput } from "@am/guard"
 * import { z } from "zod"
 * const r = validateOutput(z.object({ city: z.string() }), '{"city":"Lyon"}')
 * r._tag === "Valid" && r.value.city // "Lyon"
 * ```
 */
export const validateOutput = <S extends StandardSchemaV1>(
  schema: S,
  text: string
): OutputResult<StandardSchema.StandardSchemaV1.InferOutput<S>> => {
  const parsed = parseJsonAnswer(text)
  return parsed._tag === "Invalid" ? parsed : validateValue(schema, parsed.value)
}

/** `validateOutput` for schemas that may validate asynchronously. */
export const validateOutputAsync = async <S extends StandardSchemaV1>(
  schema: S,
  text: string
): Promise<OutputResult<StandardSchema.StandardSchemaV1.InferOutput<S>>> => {
  const parsed = parseJsonAnswer(text)
  if (parsed._tag === "Invalid") return parsed
  return fromStandard(await schema["~standard"].validate(parsed.value))
}
