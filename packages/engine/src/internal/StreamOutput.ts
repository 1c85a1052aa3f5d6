/**
 * What a committed stream's client sees of its text: placeholders restored (the text and each
 * tool call's arguments have their own restorer, so a placeholder split across chunks is held
 * back until whole), then sanitised and cut at the answer's size limit, with the provider's log
 * probabilities carried along as long as the text sent still spells them. Pure bookkeeping over
 * one stream; `StreamRelay` decides when each part runs.
 */
import type { CompletionChunk, GuardSession, TextRestorer, TokenLogprob } from "@am/core"
import type { EngineDeps } from "./Deps.ts"

type TextDelta = Extract<CompletionChunk, { readonly _tag: "TextDelta" }>

export class StreamOutput {
  private readonly textRestorer: TextRestorer | undefined
  private readonly toolRestorers = new Map<number, TextRestorer>()
  private readonly output: ReturnType<NonNullable<EngineDeps["guard"]>["streamOutput"]> | undefined
  /** Characters the sanitiser removed. */
  removed = 0
  /** The size limit cut the answer (policy truncate): the finish says `length`. */
  truncated = false
  /** The answer went past the size limit under policy fail. */
  tooLarge: { readonly limit: number; readonly size: number } | undefined
  // Log probabilities: queued provider tokens, and the text sent that they must spell.
  private lpAny = false
  private lpOff = false
  private readonly lpQueue: Array<TokenLogprob> = []
  private lpShown = ""
  private lpSent = 0

  private readonly session: GuardSession | undefined

  constructor(deps: EngineDeps, session: GuardSession | undefined) {
    this.session = session
    this.textRestorer = session?.streamRestorer()
    const guard = deps.guard
    this.output = guard?.limitsOutput ? guard.streamOutput() : undefined
  }

  /** Whether text deltas are reshaped (restored or limited) before they go out. */
  get shapesText(): boolean {
    return this.textRestorer !== undefined || this.output !== undefined
  }

  /** Whether something may be held back until the finish (restorers, sanitiser). */
  get holdsBack(): boolean {
    return this.session !== undefined || this.output !== undefined
  }

  /** Whether tool-call arguments are restored. */
  get restoresTools(): boolean {
    return this.session !== undefined
  }

  /** Past the limit (either policy): nothing more of the answer goes out. */
  get stopped(): boolean {
    return this.truncated || this.tooLarge !== undefined
  }

  /** The visible part of a text delta (restored, then limited); `""` while held back. */
  text(delta: string): string {
    return this.limited(this.textRestorer === undefined ? delta : this.textRestorer.push(delta))
  }

  /** A tool call's arguments delta, restored. */
  tool(index: number, argumentsDelta: string): string {
    let r = this.toolRestorers.get(index)
    if (r === undefined) {
      // JSON-escaped: a restored value with a quote or a backslash keeps the arguments valid JSON.
      r = this.session!.streamJsonRestorer?.() ?? this.session!.streamRestorer()
      this.toolRestorers.set(index, r)
    }
    return r.push(argumentsDelta)
  }

  /** `chunk` as it goes out with `visible` as its text, and the log probabilities it completes. */
  withLogprobs(chunk: TextDelta, visible: string): CompletionChunk {
    const { logprobs, ...rest } = chunk
    const carried = this.carryLogprobs(logprobs, visible)
    return { ...rest, text: visible, ...(carried !== undefined ? { logprobs: carried } : {}) }
  }

  /**
   * A provider token goes out with the delta that completes it, as long as the text sent still
   * spells the tokens sent. Once it does not (restored, redacted, cut) no more go out.
   */
  carryLogprobs(
    incoming: ReadonlyArray<TokenLogprob> | undefined,
    visible: string
  ): ReadonlyArray<TokenLogprob> | undefined {
    if (incoming !== undefined) {
      this.lpAny = true
      this.lpQueue.push(...incoming)
    } else if (this.lpAny) this.lpOff = true
    if (!this.lpAny || this.lpOff) return undefined
    this.lpShown += visible
    const out: Array<TokenLogprob> = []
    while (this.lpQueue.length > 0) {
      const t = this.lpQueue[0]!
      const end = this.lpSent + t.token.length
      if (end > this.lpShown.length) break
      if (this.lpShown.slice(this.lpSent, end) !== t.token) {
        this.lpOff = true
        return undefined
      }
      out.push(t)
      this.lpQueue.shift()
      this.lpSent = end
    }
    if (this.lpSent > 4096) {
      this.lpShown = this.lpShown.slice(this.lpSent)
      this.lpSent = 0
    }
    return out
  }

  /** What was held back by the restorers and the sanitiser, before the finish. */
  flush(): Array<CompletionChunk> {
    const out: Array<CompletionChunk> = []
    const rest = this.limited(this.textRestorer?.end() ?? "", true)
    if (rest !== "") {
      const carried = this.carryLogprobs([], rest)
      out.push({ _tag: "TextDelta", text: rest, ...(carried !== undefined ? { logprobs: carried } : {}) })
    }
    for (const [index, r] of this.toolRestorers) {
      const args = r.end()
      if (args !== "") out.push({ _tag: "ToolCallDelta", index, argumentsDelta: args })
    }
    return out
  }

  /**
   * Sanitisation and the answer's size limit, on the restored text as the client sees it. Past
   * the limit the rest of the answer is dropped; the relay still reads the upstream to its
   * finish, so the call settles with its usage.
   */
  private limited(visible: string, last = false): string {
    const output = this.output
    if (output === undefined) return visible
    if (this.stopped) return ""
    const l = visible === "" && !last ? undefined : output.push(visible)
    const e = last ? output.end() : undefined
    let out = ""
    for (const r of [l, e]) {
      if (r === undefined || this.stopped) continue
      this.removed += r.removed
      if (r.tooLarge !== undefined) this.tooLarge = r.tooLarge
      else {
        out += r.text
        if (r.truncated) this.truncated = true
      }
    }
    return out
  }
}
