/**
 * An in-process `Provider` for unit tests and benchmarks: no HTTP, answers from a script.
 * Each call takes the next step of the script for its (model, key) — or of the default
 * script — and either answers, fails with the given `ProviderFailure` fields, or refuses.
 * A `{ stream: [...] }` step scripts a stream event by event (deltas, pauses on the Clock, a
 * failure, the finish), for what only streams can do: fail or stall after the first token.
 *
 * @example
 * ```ts
 * import { MemoryProvider } from "@am/testkit"
 * const p = MemoryProvider.make({ id: "primary", script: [{ fail: { kind: "http", status: 503 } }, "ok"] })
 * // A stream that sends a role-only delta, two tokens, then dies mid-answer.
 * const cut = MemoryProvider.make({
 *   id: "primary",
 *   script: [{ stream: [{ text: "" }, { text: "Hel" }, { text: "lo" }, { fail: { kind: "stream", message: "reset" } }] }]
 * })
 * ```
 * @since 0.1.0
 */
import type { Completion, CompletionChunk, FinishReason, Provider, ProviderCall, ProviderKind, Usage } from "@am/core"
import { ProviderFailure } from "@am/core"
import { Effect, Stream } from "effect"

/** The fields of a scripted failure (`provider` is filled in; `message` and `responseBytesReceived` have defaults). */
export type MemoryFailure = Omit<
  ConstructorParameters<typeof ProviderFailure>[0],
  "provider" | "message" | "responseBytesReceived"
> & { readonly message?: string; readonly responseBytesReceived?: boolean }

/**
 * One event of a scripted stream: a text delta (`""` for a role-only delta), a tool-call delta,
 * a pause on the Clock (a stall; `Infinity` hangs), a failure (its `responseBytesReceived`
 * defaults to whether content was already sent), or the finish (default `stop`, usage 10/5/15).
 * A script that ends without a finish or a failure ends the stream cut, as a dropped connection does.
 */
export type MemoryStreamEvent =
  | { readonly text: string }
  | {
      readonly tool: {
        readonly index: number
        readonly id?: string
        readonly name?: string
        readonly arguments?: string
      }
    }
  | { readonly delayMs: number }
  | { readonly fail: MemoryFailure }
  | { readonly finish: FinishReason; readonly usage?: Usage }

export type MemoryStep =
  | "ok"
  | "refusal"
  | "content_filter"
  | { readonly fail: MemoryFailure }
  | { readonly delayMs: number; readonly next?: MemoryStep }
  | { readonly stream: ReadonlyArray<MemoryStreamEvent> }

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
  /**
   * Calls seen, in order: which model and key each carried, the last user text, and the text of
   * a trailing assistant message (an assistant prefill: a stream's continuation) when there is one.
   */
  readonly calls: ReadonlyArray<{
    readonly model: string
    readonly keyId: string
    readonly prompt: string
    readonly prefill?: string
  }>
  /** Streams started and released (ended, failed or interrupted): `opened - closed` are still open. */
  readonly streams: { readonly opened: number; readonly closed: number }
}

const lastUserText = (call: ProviderCall): string => {
  const users = call.request.messages.filter((m) => m.role === "user")
  const last = users[users.length - 1]
  if (last === undefined) return ""
  return typeof last.content === "string"
    ? last.content
    : last.content.map((p) => (p.type === "text" ? p.text : "")).join("")
}

const prefillOf = (call: ProviderCall): string | undefined => {
  const last = call.request.messages[call.request.messages.length - 1]
  if (last?.role !== "assistant") return undefined
  return typeof last.content === "string"
    ? last.content
    : (last.content ?? []).map((p) => (p.type === "text" ? p.text : "")).join("")
}

/** What the provider saw of a call. */
const seenOf = (call: ProviderCall) => {
  const prefill = prefillOf(call)
  return {
    model: call.model,
    keyId: call.key.id,
    prompt: lastUserText(call),
    ...(prefill !== undefined ? { prefill } : {})
  }
}

export const MemoryProvider = {
  make: (options: MemoryProviderOptions): MemoryProvider => {
    const kind = options.kind ?? "openai"
    const calls: Array<ReturnType<typeof seenOf>> = []
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
    const failureOf = (call: ProviderCall, fail: MemoryFailure, bytes: boolean) =>
      new ProviderFailure({
        provider: kind,
        providerId: options.id,
        model: call.model,
        keyId: call.key.id,
        keyFingerprint: call.key.fingerprint,
        message: fail.message ?? `scripted ${fail.kind} failure`,
        responseBytesReceived: fail.responseBytesReceived ?? bytes,
        ...fail
      })
    const USAGE: Usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 }
    /** A scripted stream, event by event. */
    const scripted = (
      call: ProviderCall,
      events: ReadonlyArray<MemoryStreamEvent>
    ): Stream.Stream<CompletionChunk, ProviderFailure> =>
      Stream.suspend(() => {
        let sent = false
        return Stream.fromIterable(events).pipe(
          Stream.flatMap((e): Stream.Stream<CompletionChunk, ProviderFailure> => {
            if ("delayMs" in e) return Stream.drain(Stream.fromEffect(Effect.sleep(e.delayMs)))
            if ("fail" in e) return Stream.fail(failureOf(call, e.fail, sent))
            if ("finish" in e) {
              return Stream.succeed({
                _tag: "Finish",
                finishReason: e.finish,
                usage: e.usage ?? USAGE,
                model: call.model
              })
            }
            if ("text" in e) {
              sent = sent || e.text.length > 0
              return Stream.succeed({ _tag: "TextDelta", text: e.text })
            }
            sent = true
            const { arguments: args, ...tool } = e.tool
            return Stream.succeed({
              _tag: "ToolCallDelta",
              ...tool,
              ...(args !== undefined ? { argumentsDelta: args } : {})
            })
          })
        )
      })
    const answer = (call: ProviderCall, step: MemoryStep): Effect.Effect<Completion, ProviderFailure> => {
      if (typeof step === "object" && "delayMs" in step) {
        return Effect.flatMap(Effect.sleep(step.delayMs), () => answer(call, step.next ?? "ok"))
      }
      if (typeof step === "object" && "stream" in step) {
        // complete() over a scripted stream: the deltas joined; no finish is a broken answer.
        return Effect.flatMap(Stream.runCollect(scripted(call, step.stream)), (chunks) => {
          const finish = chunks.find((c) => c._tag === "Finish")
          if (finish === undefined) {
            return Effect.fail(failureOf(call, { kind: "decode", message: "stream ended before a finish" }, true))
          }
          const text = chunks.map((c) => (c._tag === "TextDelta" ? c.text : "")).join("")
          return Effect.succeed({
            message: { role: "assistant", content: text },
            finishReason: finish.finishReason,
            usage: finish.usage,
            provider: kind,
            model: call.model
          } satisfies Completion)
        })
      }
      if (typeof step === "object") return Effect.fail(failureOf(call, step.fail, step.fail.kind !== "network"))
      const text = options.reply ?? `answer from ${options.id}/${call.model}`
      return Effect.succeed({
        message:
          step === "refusal"
            ? { role: "assistant", content: null, refusal: "I can't help with that." }
            : { role: "assistant", content: step === "content_filter" ? "" : text },
        finishReason: step === "ok" ? "stop" : step,
        usage: USAGE,
        provider: kind,
        model: call.model
      } satisfies Completion)
    }
    const complete = (call: ProviderCall) =>
      Effect.suspend(() => {
        calls.push(seenOf(call))
        return answer(call, pick(call))
      })
    const streamOf = (call: ProviderCall, step: MemoryStep): Stream.Stream<CompletionChunk, ProviderFailure> => {
      if (typeof step === "object" && "delayMs" in step) {
        return Stream.unwrap(Effect.as(Effect.sleep(step.delayMs), streamOf(call, step.next ?? "ok")))
      }
      if (typeof step === "object" && "stream" in step) return scripted(call, step.stream)
      // Any other step: its whole answer as one delta, then the finish.
      return Stream.unwrap(
        Effect.map(answer(call, step), (c) =>
          Stream.fromIterable<CompletionChunk>([
            { _tag: "TextDelta", text: typeof c.message.content === "string" ? c.message.content : "" },
            { _tag: "Finish", finishReason: c.finishReason, usage: c.usage, model: c.model }
          ])
        )
      )
    }
    const streams = { opened: 0, closed: 0 }
    const stream = (call: ProviderCall): Stream.Stream<CompletionChunk, ProviderFailure> =>
      Stream.suspend(() => {
        calls.push(seenOf(call))
        streams.opened++
        return streamOf(call, pick(call)).pipe(
          Stream.ensuring(
            Effect.sync(() => {
              streams.closed++
            })
          )
        )
      })
    return { id: options.id, kind, complete, stream, calls, streams }
  }
}
