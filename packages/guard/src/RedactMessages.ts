/**
 * Redaction of a whole request's messages — system, user (text parts), assistant (content,
 * refusal and tool-call arguments, redacted inside their JSON string values) and tool results
 * (JSON-aware when they are JSON) — into one vault; and restoration of the answer message.
 *
 * @example
 * ```ts
 * import { piiPolicy, redactMessages, Vault } from "@am/guard"
 * const vault = Vault.make()
 * const r = redactMessages([{ role: "user", content: "I am bob@example.com" }], vault, piiPolicy("redact"))
 * r.messages[0] // { role: "user", content: "I am ⟦EMAIL_1⟧" }
 * ```
 * @since 0.1.0
 */
import type { AssistantMessage, ChatMessage, Content, ToolCall } from "@am/core"
import type { PiiPolicy } from "./Entity.ts"
import { type RedactionFinding, type RedactedView, redactJsonWithView, redactWithView } from "./Redact.ts"
import { restore, restoreJson } from "./Restore.ts"
import type { Segment } from "./ScanMessages.ts"
import type { Vault } from "./Vault.ts"

/** Where in the request a finding was. */
export interface MessageFinding extends RedactionFinding {
  /** Index of the message in the request. */
  readonly message: number
  /** `content`, `part:<i>`, `tool_call:<i>`, `refusal`. */
  readonly part: string
}

/** The redacted messages, every finding, and the blocking ones. */
export interface RedactedMessages {
  readonly messages: ReadonlyArray<ChatMessage>
  readonly findings: ReadonlyArray<MessageFinding>
  /** The findings whose entity policy is `block`; non-empty means the caller must refuse. */
  readonly blocked: ReadonlyArray<MessageFinding>
}

/** `RedactedMessages` with the firewall's segments (user text and tool results, as views). */
export interface RedactedRequest extends RedactedMessages {
  readonly segments: ReadonlyArray<Segment>
}

type Redactor = (text: string, vault: Vault, policy: PiiPolicy, prepare: boolean) => RedactedView

/**
 * Redacts every message of a request into `vault`. Messages without findings are returned as
 * the same objects.
 *
 * @example
 * ```ts
 * import { piiPolicy, redactMessages, Vault } from "@am/guard"
 * const r = redactMessages(
 *   [{ role: "assistant", content: null, toolCalls: [{ id: "c1", name: "send", arguments: '{"to":"bob@example.com"}' }] }],
 *   Vault.make(),
 *   piiPolicy("redact")
 * )
 * r.findings[0] // { entity: "email", rule: "email", action: "redact", message: 0, part: "tool_call:0" }
 * ```
 */
export const redactMessages = (
  messages: ReadonlyArray<ChatMessage>,
  vault: Vault,
  policy: PiiPolicy
): RedactedMessages => {
  const r = redactRequest(messages, vault, policy, false)
  return { messages: r.messages, findings: r.findings, blocked: r.blocked }
}

/**
 * `redactMessages`, also giving the segments the firewall scores (what `segmentsOf` would give for
 * the redacted messages, read through the one-byte views `redactWithView` builds).
 */
export const redactRequest = (
  messages: ReadonlyArray<ChatMessage>,
  vault: Vault,
  policy: PiiPolicy,
  /** Whether the firewall will read the segments (then the detector's stem pass is kept for it). */
  prepare = true
): RedactedRequest => {
  const findings: MessageFinding[] = []
  const segments: Segment[] = []
  let scored: Segment["where"]["source"] | undefined
  const text = (i: number, part: string, value: string, how: Redactor = redactWithView): string => {
    const r = how(value, vault, policy, prepare && scored !== undefined)
    for (const f of r.findings) findings.push({ entity: f.entity, rule: f.rule, action: f.action, message: i, part })
    if (scored !== undefined) {
      segments.push({ text: r.view, where: { message: i, part, source: scored }, prepared: r.prepared })
    }
    return r.text
  }
  const content = (i: number, c: Content, how: Redactor = redactWithView): Content => {
    if (typeof c === "string") return text(i, "content", c, how)
    let changed = false
    const parts = c.map((p, k) => {
      if (p.type !== "text") return p
      const t = text(i, `part:${k}`, p.text, how)
      if (t === p.text) return p
      changed = true
      return { ...p, text: t }
    })
    return changed ? parts : c
  }
  const out = messages.map((m, i): ChatMessage => {
    switch (m.role) {
      case "system": {
        scored = undefined
        const c = text(i, "content", m.content)
        return c === m.content ? m : { ...m, content: c }
      }
      case "user": {
        scored = "user"
        const c = content(i, m.content)
        return c === m.content ? m : { ...m, content: c }
      }
      case "tool": {
        scored = "indirect"
        const c = content(i, m.content, redactJsonWithView)
        return c === m.content ? m : { ...m, content: c }
      }
      default:
        scored = undefined
        return redactAssistant(m, i, content, text)
    }
  })
  return { messages: out, findings, blocked: findings.filter((f) => f.action === "block"), segments }
}

const redactAssistant = (
  m: AssistantMessage,
  i: number,
  content: (i: number, c: Content) => Content,
  text: (i: number, part: string, value: string, how?: Redactor) => string
): AssistantMessage => {
  const c = m.content === null ? null : content(i, m.content)
  const calls = m.toolCalls?.map((call, k): ToolCall => {
    const args = text(i, `tool_call:${k}`, call.arguments, redactJsonWithView)
    return args === call.arguments ? call : { ...call, arguments: args }
  })
  const refusal = m.refusal === undefined ? undefined : text(i, "refusal", m.refusal)
  const same = c === m.content && refusal === m.refusal && (calls ?? []).every((call, k) => call === m.toolCalls![k])
  if (same) return m
  return {
    ...m,
    content: c,
    ...(calls === undefined ? {} : { toolCalls: calls }),
    ...(refusal === undefined ? {} : { refusal })
  }
}

/**
 * The answer message with the vault's originals restored in its content, refusal and tool-call
 * arguments (JSON-escaped there).
 *
 * @example
 * ```ts
 * import { restoreMessage, Vault } from "@am/guard"
 * const vault = Vault.make()
 * vault.placeholderFor("email", "bob@example.com")
 * restoreMessage({ role: "assistant", content: "Sent to ⟦EMAIL_1⟧" }, vault).content // "Sent to bob@example.com"
 * ```
 */
export const restoreMessage = (m: AssistantMessage, vault: Vault): AssistantMessage => {
  if (vault.size === 0) return m
  const content =
    m.content === null
      ? null
      : typeof m.content === "string"
        ? restore(m.content, vault)
        : m.content.map((p) => (p.type === "text" ? { ...p, text: restore(p.text, vault) } : p))
  return {
    ...m,
    content,
    ...(m.toolCalls === undefined
      ? {}
      : { toolCalls: m.toolCalls.map((c) => ({ ...c, arguments: restoreJson(c.arguments, vault) })) }),
    ...(m.refusal === undefined ? {} : { refusal: restore(m.refusal, vault) })
  }
}
