/**
 * An in-process `Provider` for unit tests and benchmarks: no HTTP, answers from a script.
 * Each call takes the next step of the script for its (model, key) — or of the default
 * script — and either answers, fails with the given `ProviderFailure` fields, or refuses.
 *
 * @example
 * ```ts
 * import { MemoryProvider } from "@am/testkit"
 * const p = MemoryProvider.make({ id: "primary", script: [{ fail: { kind: "http", status: 503 } }, "ok"] })
 * ```
 * @since 0.1.0
 */
import type { Completion, CompletionChunk, Provider, ProviderCall, ProviderKind } from "@am/core"
import { ProviderFailure } from "@am/core"
import { Effect, Stream } from "effect"

export type MemoryStep =
  | "ok"
  | "refusal"
  | "content_filter"
  | {
      readonly fail: Omit<
        ConstructorParameters<typeof ProviderFailure>[0],
        "provider" | "message" | "responseBytesReceived"
      > & { readonly message?: string; readonly responseBytesReceived?: boolean }
    }
  | { readonly delayMs: number; readonly next?: MemoryStep }

export interface MemoryProviderOptions {
  readonly id: string
  readonly kind?: ProviderKind
  /** Steps for every call; once exhausted the last step repeats ("ok" when empty). */
  readonly script?: ReadonlyArray<MemoryStep>
  /** Per-target scripts, keyed `model`, `key:<keyId>` or `model|key:<keyId>` (most specific wins). */
  readonly scripts?: Readonly<Record<string, ReadonlyArray<MemoryStep>>>
  readonly reply?: string
}

export interface MemoryProvider extends Provider {
  /** Calls seen, in order: which model and key each carried. */
  readonly calls: ReadonlyArray<{ readonly model: string; readonly keyId: string; readonly prompt: string }>
}

const lastUserText = (call: ProviderCall): string => {
  const users = call.request.messages.filter((m) => m.role === "user")
  const last = users[users.length - 1]
  if (last === undefined) return ""
  return typeof last.content === "string"
    ? last.content
    : last.content.map((p) => (p.type === "text" ? p.text : "")).join("")
}

export const MemoryProvider = {
  make: (options: MemoryProviderOptions): MemoryProvider => {
    const kind = options.kind ?? "openai"
    const calls: Array<{ model: string; keyId: string; prompt: string }> = []
    const cursors = new Map<string, number>()
    const pick = (call: ProviderCall): MemoryStep => {
      const candidates = [`${call.model}|key:${call.key.id}`, `key:${call.key.id}`, call.model]
      const name = candidates.find((c) => options.scripts?.[c] !== undefined)
      const script = name !== undefined ? options.scripts![name]! : (options.script ?? [])
      const cursorKey = name ?? "*"
      const i = cursors.get(cursorKey) ?? 0
      cursors.set(cursorKey, i + 1)
      return script.length === 0 ? "ok" : script[Math.min(i, script.length - 1)]!
    }
    const answer = (call: ProviderCall, step: MemoryStep): Effect.Effect<Completion, ProviderFailure> => {
      if (typeof step === "object" && "delayMs" in step) {
        return Effect.flatMap(Effect.sleep(step.delayMs), () => answer(call, step.next ?? "ok"))
      }
      if (typeof step === "object") {
        return Effect.fail(
          new ProviderFailure({
            provider: kind,
            providerId: options.id,
            model: call.model,
            keyId: call.key.id,
            keyFingerprint: call.key.fingerprint,
            message: step.fail.message ?? `scripted ${step.fail.kind} failure`,
            responseBytesReceived: step.fail.responseBytesReceived ?? step.fail.kind !== "network",
            ...step.fail
          })
        )
      }
      const text = options.reply ?? `answer from ${options.id}/${call.model}`
      return Effect.succeed({
        message:
          step === "refusal"
            ? { role: "assistant", content: null, refusal: "I can't help with that." }
            : { role: "assistant", content: step === "content_filter" ? "" : text },
        finishReason: step === "ok" ? "stop" : step,
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
        provider: kind,
        model: call.model
      } satisfies Completion)
    }
    const complete = (call: ProviderCall) =>
      Effect.suspend(() => {
        calls.push({ model: call.model, keyId: call.key.id, prompt: lastUserText(call) })
        return answer(call, pick(call))
      })
    const stream = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> =>
      Stream.unwrap(
        Effect.map(complete(call), (c) =>
          Stream.fromIterable<CompletionChunk>([
            { _tag: "TextDelta", text: typeof c.message.content === "string" ? c.message.content : "" },
            { _tag: "Finish", finishReason: c.finishReason, usage: c.usage, model: c.model }
          ])
        )
      )
    return { id: options.id, kind, complete, stream, calls }
  }
}
