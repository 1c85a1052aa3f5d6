/**
 * The repair instruction for the engine's one retry after an answer failed its output contract:
 * a user message naming each validation issue (path + message) and asking for the corrected JSON
 * alone. Issue texts can quote the answer, so they are redacted into the request's vault (the
 * same value gets the same placeholder the model already saw) or, without a vault, masked.
 *
 * @example
 * ```ts
 * import { repairInstruction } from "@am/guard"
 * repairInstruction([{ path: "age", message: "Invalid input: expected number, received string" }]).content
 * // "Your previous answer does not satisfy the required output format. …\n- age: Invalid input: expected number, received string\n…"
 * ```
 * @since 0.2.0
 */
import type { ChatMessage, UserMessage } from "@am/core"
import { type PiiPolicy, piiPolicy } from "./Entity.ts"
import type { OutputIssue } from "./OutputContract.ts"
import { redactText } from "./Redact.ts"
import { scrub } from "./Scrub.ts"
import type { Vault } from "./Vault.ts"

export interface RepairOptions {
  /** The request's vault: issue texts are redacted into it (default: masked with `scrub`). */
  readonly vault?: Vault
  /** The policy to redact with (default: `redact` for every entity). */
  readonly policy?: PiiPolicy
  /** At most this many issues are listed (default 10); the rest are counted. */
  readonly maxIssues?: number
  /** A JSON Schema to restate (the gateway's `json_schema`), capped at 4000 characters. */
  readonly jsonSchema?: unknown
}

const MAX_SCHEMA = 4000
const MAX_ISSUE = 300

/**
 * The repair instruction for `issues`.
 *
 * @example
 * ```ts
 * import { repairInstruction, Vault } from "@am/guard"
 * const vault = Vault.make()
 * repairInstruction([{ path: "to", message: "bob@example.com is not allowed" }], { vault }).content
 * // contains "- to: ⟦EMAIL_1⟧ is not allowed"
 * ```
 */
export const repairInstruction = (issues: ReadonlyArray<OutputIssue>, options: RepairOptions = {}): UserMessage => {
  const max = Math.max(1, options.maxIssues ?? 10)
  const policy = options.policy ?? piiPolicy("redact")
  const clean = (s: string) =>
    options.vault === undefined
      ? scrub(s, [], { maxLength: MAX_ISSUE })
      : scrub(redactText(s, options.vault, policy).text, [], { maxLength: MAX_ISSUE })
  const lines = issues
    .slice(0, max)
    .map((i) => `- ${i.path === "" ? "(the answer)" : clean(i.path)}: ${clean(i.message)}`)
  if (issues.length > max) lines.push(`- … and ${issues.length - max} more`)
  const parts = ["Your previous answer does not satisfy the required output format. Fix these problems:", ...lines]
  if (options.jsonSchema !== undefined) {
    const schema = JSON.stringify(options.jsonSchema)
    parts.push(
      `The answer must validate against this JSON Schema: ${schema.length > MAX_SCHEMA ? `${schema.slice(0, MAX_SCHEMA)}…` : schema}`
    )
  }
  parts.push("Reply with only the corrected JSON value: no prose, no code fence.")
  return { role: "user", content: parts.join("\n") }
}

/**
 * The messages of the repair attempt: the request's (redacted) messages, the failed answer as the
 * provider gave it (placeholders, not restored values) and the repair instruction.
 *
 * @example
 * ```ts
 * import { repairMessages } from "@am/guard"
 * repairMessages([{ role: "user", content: "JSON please" }], "Sure, here it is", [{ path: "", message: "the answer is not JSON" }]).length // 3
 * ```
 */
export const repairMessages = (
  messages: ReadonlyArray<ChatMessage>,
  answer: string,
  issues: ReadonlyArray<OutputIssue>,
  options: RepairOptions = {}
): ReadonlyArray<ChatMessage> => [
  ...messages,
  { role: "assistant", content: answer },
  repairInstruction(issues, options)
]
