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
    /<\|\s*(?:im_start|im_end|im_sep|system|user|assistant|endoftext|end_of_text|begin_of_text|start_header_id|end_header_id|eot_id|eom_id|end)\s*\|>/g,
    ["<|"]
  ),
  // A template token opening a turn: the role on a line of its own (`<|im_start|>system⏎`,
  // `<start_of_turn>model⏎`, `<|start_header_id|>system<|end_header_id|>⏎`, the newline also
  // JSON-escaped as `\n` in a tool result) or a whole turn closed by its end token — the structure
  // of a forged conversation, not a mention of a token (which sits inside a sentence).
  {
    name: "delimiter.chat_turn",
    category: "delimiter",
    weight: 0.5,
    indirectWeight: 0.85,
    view: "raw",
    pattern:
      /(?:<\|\s*im_start\s*\|>|<start_of_turn>|<\|start_header_id\|>)[ \t]*(?:system|user|assistant|model|developer|tool)[ \t]*(?:<\|end_header_id\|>)?[ \t]*(?:\n|\\n|[^\n<]{1,300}(?:<\|\s*im_end\s*\|>|<end_of_turn>|<\|eot_id\|>))/g,
    mentionable: false,
    anchors: ["<|", "<start_of"]
  },
  // Gemma's turns (`<start_of_turn>user`, `<end_of_turn>`).
  raw("delimiter.gemma_turn", 0.85, /<(?:start|end)_of_turn>/g, ["<start_of", "<end_of"]),
  // Llama 2's and Mistral's (`[SYSTEM_PROMPT]`, `[AVAILABLE_TOOLS]`, `[TOOL_RESULTS]`) markers.
  raw(
    "delimiter.inst",
    0.75,
    /\[\/?inst\]|<<\/?sys>>|\[\/?system_prompt\]|\[\/?available_tools\]|\[\/?tool_results\]/g,
    ["inst]", "sys>>", "system_prompt]", "available_tools]", "tool_results]"]
  ),
  // `[SYSTEM]` alone is also a log line's source tag: below the flag threshold, unless an
  // instruction to the model follows it or `[/SYSTEM]` closes it (a forged turn, quoted in JSON or not).
  raw("delimiter.bracket_role", 0.35, /\[\/?system\]|\[\/?sys\]/g, ["system]", "sys]"]),
  {
    name: "delimiter.bracket_role_instruction",
    category: "delimiter",
    weight: 0.75,
    indirectWeight: 0.85,
    view: "raw",
    pattern:
      /\[(?:system|sys)\](?:[ \t:]*(?:\n|\\n)?[^\n]{0,40}?\b(?:you|your|assistant|ai|model|ignore|disregard|forget|must|always|never|reveal|new (?:task|policy|rules|instructions))\b|[^\n]{1,300}\[\/(?:system|sys)\])/g,
    mentionable: false,
    anchors: ["system]", "sys]"]
  },
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
