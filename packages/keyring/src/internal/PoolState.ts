/**
 * The key pool of one provider as plain data — keys, penalties, cool-downs, disables — and the
 * small reads every transition (`pool.ts`) shares: decayed penalty, blocked-until, health.
 *
 * @internal
 */
import type { ApiKey, Classification, EventInput } from "@am/core"

export type SelectionStrategy = "round-robin" | "weighted" | "least-penalized"

/** The policy with every duration resolved to milliseconds. */
export interface ResolvedPolicy {
  /**
   * Rate-limit backoff by streak: entry `n - 1` is the cool-down for the n-th consecutive rate
   * limit of a (key, model); past the end the last entry (the cap) repeats.
   */
  readonly backoffMs: ReadonlyArray<number>
  readonly quotaCooldownMs: number
  /** `undefined`: a disabled key stays disabled until `enable()`. */
  readonly disabledRecheckMs: number | undefined
  readonly transientPenaltyMs: number
  readonly healAfterMs: number
}

/** Penalty points a failure adds (see "Where a failure lands" in the package README). */
export const PENALTY = {
  rate_limit: 1,
  quota_exhausted: 5,
  disabled: 10,
  transient: 1,
  /** What one success takes away. */
  success: 1
} as const

export interface ModelCooling {
  /** Epoch ms until which this (key, model) is not leased. */
  readonly until: number
  /** Consecutive rate limits on this (key, model); picks the backoff step. */
  readonly streak: number
  /** Epoch ms of the last rate limit. */
  readonly lastAt: number
}

export interface Disabled {
  readonly reason: string
  readonly at: number
  /** Epoch ms when the key is put back on probation; absent: until `enable()`. */
  readonly recheckAt?: number
}

export interface KeyState {
  readonly key: ApiKey
  readonly weight: number
  /** Penalty at `penaltyAt`; decays linearly to 0 at `penaltyAt + healAfter`. */
  readonly penalty: number
  /** Epoch ms of the last penalising failure. */
  readonly penaltyAt: number
  /** Key-wide cool-down (quota, transient), epoch ms. */
  readonly coolUntil: number
  /** Rate-limit cool-downs per model. */
  readonly models: Readonly<Record<string, ModelCooling>>
  readonly disabled?: Disabled
  /** The key was reported unhealthy; a `resource.health.restored` is owed once it is healthy. */
  readonly unhealthy: boolean
  readonly leases: number
  readonly failures: number
}

export interface PoolState {
  readonly provider: string
  readonly strategy: SelectionStrategy
  readonly keys: ReadonlyArray<KeyState>
  /** Where round-robin (and the tie-break of least-penalised) starts next. */
  readonly cursor: number
  /** Some key was unhealthy; a `resource.healed.all` is owed once every key is healthy. */
  readonly degraded: boolean
}

export type KeyStatus = "healthy" | "cooling" | "disabled"

export interface KeySnapshot {
  readonly provider: string
  readonly id: string
  readonly fingerprint: string
  readonly status: KeyStatus
  readonly penalty: number
  readonly availableAt?: number
  readonly coolingModels?: Readonly<Record<string, number>>
  readonly disabledReason?: string
  readonly leases: number
  readonly failures: number
}

export type Outcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly classification: Classification }

export interface LeaseResult {
  readonly key: ApiKey | undefined
  /** When `key` is undefined: the earliest epoch ms a candidate key frees up, if any will. */
  readonly availableAt: number | undefined
  readonly events: ReadonlyArray<EventInput>
}

/** The penalty after linear decay since the last failure. */
export const effectivePenalty = (k: KeyState, now: number, policy: ResolvedPolicy): number => {
  if (k.penalty === 0) return 0
  if (policy.healAfterMs <= 0) return 0
  const left = 1 - (now - k.penaltyAt) / policy.healAfterMs
  return left <= 0 ? 0 : k.penalty * Math.min(1, left)
}

/** Stores `value` as the penalty at `now` while keeping the decay's end where it was. */
export const withPenaltyAt = (k: KeyState, value: number, now: number, policy: ResolvedPolicy): KeyState => {
  if (value <= 0) return { ...k, penalty: 0 }
  const left = policy.healAfterMs <= 0 ? 0 : 1 - (now - k.penaltyAt) / policy.healAfterMs
  return left <= 0 ? { ...k, penalty: 0 } : { ...k, penalty: value / Math.min(1, left) }
}

export const addPenalty = (k: KeyState, points: number, now: number, policy: ResolvedPolicy): KeyState => ({
  ...k,
  penalty: effectivePenalty(k, now, policy) + points,
  penaltyAt: now
})

/** Epoch ms until which the key can't serve `model`; 0 if it can now; Infinity if disabled for good. */
export const blockedUntil = (k: KeyState, model: string, now: number): number => {
  const until = Math.max(k.coolUntil, k.models[model]?.until ?? 0)
  if (k.disabled !== undefined) return Math.max(k.disabled.recheckAt ?? Number.POSITIVE_INFINITY, until)
  return until > now ? until : 0
}

/** Epoch ms until which the key is not usable for every model (0 if it is). */
export const coolingUntil = (k: KeyState, now: number): number => {
  let until = k.coolUntil
  for (const m in k.models) until = Math.max(until, k.models[m]!.until)
  return until > now ? until : 0
}

export const isHealthy = (k: KeyState, now: number): boolean => k.disabled === undefined && coolingUntil(k, now) === 0

export const keyRef = (provider: string, k: KeyState) => ({
  provider,
  keyId: k.key.id,
  keyFingerprint: k.key.fingerprint
})
