/** Gemini finish reasons for a tool call the model got wrong (not a policy outcome). */
export const TOOL_CALL_FINISH_REASONS: ReadonlyArray<string> = [
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS"
]
