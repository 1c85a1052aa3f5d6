/** What one `GenerateContentResponse`'s first candidate says: its text, its function calls, its finish reason. */
import type { ToolCall } from "@am/core"
import type { GenerateContentResponse } from "@google/genai"
import type { ThoughtSignatures } from "../RequestTranslation.ts"
import { generateToolCallId } from "./toolCallIds.ts"

export interface CandidateView {
  readonly text: string
  readonly toolCalls: Array<ToolCall>
  readonly rawFinishReason: string | undefined
}

export const readCandidate = (
  response: GenerateContentResponse,
  signatures: ThoughtSignatures | undefined
): CandidateView => {
  const candidate = response.candidates?.[0]
  let text = ""
  const toolCalls: Array<ToolCall> = []
  for (const part of candidate?.content?.parts ?? []) {
    // Thought summaries are the model's reasoning, not its answer.
    if (typeof part.text === "string" && part.thought !== true) text += part.text
    if (part.functionCall !== undefined) {
      const id = part.functionCall.id ?? generateToolCallId()
      if (part.thoughtSignature !== undefined) signatures?.set(id, part.thoughtSignature)
      toolCalls.push({
        id,
        name: part.functionCall.name ?? "",
        arguments: JSON.stringify(part.functionCall.args ?? {})
      })
    }
  }
  return { text, toolCalls, rawFinishReason: candidate?.finishReason ?? undefined }
}
