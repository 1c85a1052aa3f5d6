import { ApiKey, type ChatMessage, type Provider, type ProviderCall } from "@am/core"
import { MemoryProvider, type MemoryProviderOptions } from "@am/testkit"
import { Effect, Redacted } from "effect"

/** The rewriter's own key; its secret must never show up in a failure. */
export const SECRET = "sk-rewriter-0123456789abcdef"
export const rewriterKey = ApiKey.make("rw-1", Redacted.make(SECRET))
export const key = Effect.succeed(rewriterKey)

/** A MemoryProvider that also keeps every full call, so tests can read the system message. */
export const recording = (options: Omit<MemoryProviderOptions, "id"> & { readonly id?: string }) => {
  const inner = MemoryProvider.make({ id: "rewriter", ...options })
  const seen: Array<ProviderCall> = []
  const provider: Provider & { readonly calls: typeof inner.calls } = {
    ...inner,
    calls: inner.calls,
    complete: (call) =>
      Effect.suspend(() => {
        seen.push(call)
        return inner.complete(call)
      })
  }
  return { provider, seen }
}

export const conversation: ReadonlyArray<ChatMessage> = [
  { role: "system", content: "You are a helpful ops assistant." },
  { role: "user", content: "My server is slow." },
  { role: "assistant", content: "Which process uses the CPU?" },
  { role: "user", content: "How do I kill the stuck java process?" }
]

export const systemOf = (call: ProviderCall): string => {
  const m = call.request.messages.find((x) => x.role === "system")
  return m !== undefined && typeof m.content === "string" ? m.content : ""
}

export const userOf = (call: ProviderCall): string => {
  const m = call.request.messages.find((x) => x.role === "user")
  return m !== undefined && typeof m.content === "string" ? m.content : ""
}
