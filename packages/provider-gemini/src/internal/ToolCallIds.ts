/**
 * Tool-call ids the adapter invents when Gemini sends none. They stay on our side: a call whose
 * id is generated goes back upstream without one, as Gemini first sent it.
 */
import { randomUUID } from "node:crypto"
/** Prefix of tool-call ids the adapter invents when Gemini sends none; never sent back upstream. */
export const GENERATED_TOOL_CALL_ID_PREFIX = "call_am_"

export const generateToolCallId = (): string => `${GENERATED_TOOL_CALL_ID_PREFIX}${randomUUID().replace(/-/g, "")}`

export const isGeneratedId = (id: string) => id.startsWith(GENERATED_TOOL_CALL_ID_PREFIX)
