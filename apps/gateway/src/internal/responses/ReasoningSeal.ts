/**
 * A reasoning part's opaque values (signature, redacted data, the provider kind that made them)
 * sealed into a Responses `reasoning` item's `encrypted_content` and back. The client holds them,
 * so a follow-up turn on any replica — no store needed — hands the provider its own signed
 * reasoning back (Anthropic requires it in a tool loop; Gemini's thought signatures likewise).
 * Sealed, not encrypted: the values are the provider's own opaque tokens, not secrets of ours.
 */
import type { ReasoningPart } from "@am/core"

const SEALED = "am.r1."

/** Whether an `encrypted_content` is the gateway's seal (not a provider's own encrypted reasoning). */
export const isSealed = (encrypted: unknown): encrypted is string =>
  typeof encrypted === "string" && encrypted.startsWith(SEALED)

/** `encrypted_content` for a reasoning part (`null` when it has no opaque values). */
export const sealReasoning = (part: ReasoningPart): string | null =>
  part.signature === undefined && part.redactedData === undefined
    ? null
    : SEALED +
      Buffer.from(
        JSON.stringify({ p: part.provider ?? null, s: part.signature ?? null, r: part.redactedData ?? null })
      ).toString("base64url")

/** The reasoning part for an input `reasoning` item (`encrypted_content` the gateway sealed, or text only). */
export const unsealReasoning = (text: string, encrypted: string | null | undefined): ReasoningPart => {
  if (!isSealed(encrypted)) return { type: "reasoning", text }
  try {
    const v = JSON.parse(Buffer.from(encrypted.slice(SEALED.length), "base64url").toString("utf8")) as Record<
      string,
      unknown
    >
    const str = (u: unknown) => (typeof u === "string" ? u : undefined)
    const provider = str(v.p)
    const signature = str(v.s)
    const redactedData = str(v.r)
    return {
      type: "reasoning",
      text,
      ...(provider !== undefined ? { provider } : {}),
      ...(signature !== undefined ? { signature } : {}),
      ...(redactedData !== undefined ? { redactedData } : {})
    }
  } catch {
    return { type: "reasoning", text }
  }
}
