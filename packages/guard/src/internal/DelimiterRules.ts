/**
 * Fake chat delimiters read on the raw (lower-cased) text: chat-template tokens, `[INST]`/`<<SYS>>`,
 * role tags and a closed user/document tag followed by an opened system one.
 */
import type { InjectionRule } from "./InjectionRules.ts"

const raw = (name: string, weight: number, pattern: RegExp, anchors: ReadonlyArray<string>): InjectionRule => ({
  name,
  category: "delimiter",
  weight,
  view: "raw",
  pattern,
  mentionable: true,
  anchors
})

export const DELIMITER_RULES: ReadonlyArray<InjectionRule> = [
  raw(
    "delimiter.chat_template",
    0.85,
    /<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|end_of_text|begin_of_text|start_header_id|end_header_id|eot_id|eom_id)\|>/g,
    ["<|"]
  ),
  raw("delimiter.inst", 0.75, /\[\/?inst\]|<<\/?sys>>|\[\/?system\]|\[\/?sys\]/g, [
    "inst]",
    "sys>>",
    "system]",
    "sys]"
  ]),
  raw("delimiter.xml_role", 0.6, /<\/?(?:system|system_prompt|sys|developer|admin|im_start)>/g, [
    "<sys",
    "</sys",
    "<dev",
    "</dev",
    "<adm",
    "</adm",
    "<im_"
  ]),
  raw(
    "delimiter.role_switch",
    0.8,
    /<\/(?:user|context|document|input|data|tool_output|tool_result|search_results?|email|webpage)>\s*<(?:system|assistant|instructions|developer|admin)>/g,
    ["</"]
  )
]
