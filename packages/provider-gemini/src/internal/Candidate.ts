/** What one `GenerateContentResponse`'s first candidate says: its text, thoughts, function calls, finish reason. */
import type { ReasoningPart, ToolCall } from "@am/core"
import type { GenerateContentResponse } from "@google/genai"
import type { ThoughtSignatures } from "../RequestTranslation.ts"
import { generateToolCallId } from "./ToolCallIds.ts"

export interface CandidateView {
  readonly text: string
  /** Thought summaries (`thought: true` parts), with a thought part's own signature when it has one. */
  readonly reasoning: ReasoningPart | undefined
  readonly toolCalls: Array<ToolCall>
  readonly rawFinishReason: string | undefined
}

export const readCandidate = (
  response: GenerateContentResponse,
  signatures: ThoughtSignatures | undefined
): CandidateView => {
  const candidate = response.candidates?.[0]
  let text = ""
  let thought = ""
  let thoughtSignature: string | undefined
  const toolCalls: Array<ToolCall> = []
  for (const part of candidate?.content?.parts ?? []) {
    // Thought summaries are the model's reasoning, not its answer.
    if (typeof part.text === "string" && part.thought !== true) text += part.text
    if (part.thought === true) {
      if (typeof part.text === "string") thought += part.text
      if (part.thoughtSignature !== undefined) thoughtSignature = part.thoughtSignature
    }
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
  const reasoning: ReasoningPart | undefined =
    thought.length > 0 || thoughtSignature !== undefined
      ? {
          type: "reasoning",
          text: thought,
          ...(thoughtSignature !== undefined ? { signature: thoughtSignature, provider: "gemini" } : {})
        }
      : undefined
  return { text, reasoning, toolCalls, rawFinishReason: candidate?.finishReason ?? undefined }
}
