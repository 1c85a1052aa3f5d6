import type { FaultName, FaultRule, FaultScript, FaultStep, Step } from "../FaultScript.ts"
import { isFaultName } from "../FaultScript.ts"

/** A step with its options, or a bare HTTP status. */
export type ResolvedStep =
  | { readonly _tag: "Ok"; readonly options: FaultStep | undefined }
  | { readonly _tag: "Fault"; readonly fault: FaultName; readonly options: FaultStep | undefined }
  | { readonly _tag: "Status"; readonly status: number }

const OK: ResolvedStep = { _tag: "Ok", options: undefined }

/** mulberry32: tiny, fast and good enough for fault mixes; the point is reproducibility. */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const hash = (s: string): number => {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

export const resolveStep = (step: Step): ResolvedStep => {
  if (step === "ok") return OK
  if (typeof step === "number") return { _tag: "Status", status: step }
  if (typeof step === "string") {
    if (!isFaultName(step)) throw new Error(`unknown fault "${step}"`)
    return { _tag: "Fault", fault: step, options: undefined }
  }
  if (step.fault === "ok") return { _tag: "Ok", options: step }
  if (!isFaultName(step.fault)) throw new Error(`unknown fault "${String(step.fault)}"`)
  return { _tag: "Fault", fault: step.fault, options: step }
}

const validate = (script: FaultScript): void => {
  for (const rule of script) {
    for (const s of rule.sequence ?? []) resolveStep(s)
    for (const s of rule.random?.faults ?? []) resolveStep(s)
    const rate = rule.random?.rate
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new Error(`random.rate must be in [0, 1], got ${rate}`)
  }
}

interface Cursor {
  index: number
  random: (() => number) | undefined
}

/**
 * Holds a script's cursors. Not thread-safe by design: one server, one event loop.
 */
export class ScriptRunner {
  private script: FaultScript
  private readonly seed: number
  private cursors = new Map<string, Cursor>()

  constructor(script: FaultScript | undefined, seed: number | undefined) {
    this.script = script ?? []
    this.seed = seed ?? 0
    validate(this.script)
  }

  get isEmpty(): boolean {
    return this.script.length === 0
  }

  set(script: FaultScript): void {
    validate(script)
    this.script = script
    this.cursors = new Map()
  }

  reset(): void {
    this.cursors = new Map()
  }

  next(model: string, key: string): ResolvedStep {
    const rules = this.script
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!
      if (rule.match?.model !== undefined && rule.match.model !== model) continue
      if (rule.match?.key !== undefined && rule.match.key !== key) continue
      return this.take(rule, i, model, key)
    }
    return OK
  }

  private take(rule: FaultRule, index: number, model: string, key: string): ResolvedStep {
    const id = rule.perTarget === true ? `${index}\u0000${model}\u0000${key}` : `${index}`
    let cursor = this.cursors.get(id)
    if (cursor === undefined) {
      const seed = (rule.random?.seed ?? this.seed) ^ hash(id)
      cursor = { index: 0, random: rule.random !== undefined ? prng(seed) : undefined }
      this.cursors.set(id, cursor)
    }
    const sequence = rule.sequence ?? []
    if (cursor.index < sequence.length) return resolveStep(sequence[cursor.index++]!)
    if (rule.repeat === true && sequence.length > 0) {
      cursor.index = 1
      return resolveStep(sequence[0]!)
    }
    if (rule.random !== undefined && cursor.random !== undefined) {
      const faults = rule.random.faults
      if (faults.length === 0 || cursor.random() >= rule.random.rate) return OK
      return resolveStep(faults[Math.floor(cursor.random() * faults.length)]!)
    }
    return OK
  }
}
