/**
 * The key pool's transitions — lease, report, refresh, enable, disable, snapshot — each a pure
 * `(state, input) => [result, state']` over the pool state (`PoolState.ts`). Time (`now`) and
 * randomness (`random`) come in as arguments, so a transition is deterministic: the memory layer
 * runs each one inside a single `Ref.modify`, and a shared store can run the same transition as
 * one compare-and-set.
 *
 * @internal
 */
import type { ApiKey, Classification, EventInput } from "@am/core"
import {
  addPenalty,
  blockedUntil,
  coolingUntil,
  type Disabled,
  effectivePenalty,
  isHealthy,
  type KeySnapshot,
  type KeyState,
  keyRef,
  type LeaseResult,
  type Outcome,
  PENALTY,
  type PoolState,
  type ResolvedPolicy,
  type SelectionStrategy,
  withPenaltyAt
} from "./PoolState.ts"

export * from "./PoolState.ts"

const noEvents: ReadonlyArray<EventInput> = []

export const makePool = (
  provider: string,
  strategy: SelectionStrategy,
  keys: ReadonlyArray<{ readonly key: ApiKey; readonly weight: number }>
): PoolState => ({
  provider,
  strategy,
  cursor: 0,
  degraded: false,
  keys: keys.map(({ key, weight }) => ({
    key,
    weight,
    penalty: 0,
    penaltyAt: 0,
    coolUntil: 0,
    models: {},
    unhealthy: false,
    leases: 0,
    failures: 0
  }))
})

/**
 * Lets time act on the pool: a disabled key whose recheck is due goes back on probation,
 * finished rate-limit entries are forgotten once their streak has healed, and health that came
 * back since the last operation is announced (`resource.health.restored`, then
 * `resource.healed.all` when the whole pool is healthy again).
 */
export const refresh = (
  pool: PoolState,
  now: number,
  policy: ResolvedPolicy
): readonly [ReadonlyArray<EventInput>, PoolState] => {
  // Every unhealthy or disabled key marks its pool degraded, so a healthy pool has nothing to do.
  if (!pool.degraded) return [noEvents, pool]
  const events: Array<EventInput> = []
  let keys: Array<KeyState> | undefined
  pool.keys.forEach((k0, i) => {
    let k = k0
    if (k.disabled?.recheckAt !== undefined && k.disabled.recheckAt <= now) {
      const { disabled: _, ...rest } = k
      k = rest
    }
    const stale = Object.keys(k.models).filter((m) => {
      const c = k.models[m]!
      return c.until <= now && now - c.lastAt >= policy.healAfterMs
    })
    if (stale.length > 0) {
      const models = { ...k.models }
      for (const m of stale) delete models[m]
      k = { ...k, models }
    }
    if (k.unhealthy && isHealthy(k, now)) {
      k = { ...k, unhealthy: false }
      events.push({ topic: "resource.health.restored", ...keyRef(pool.provider, k) })
    }
    if (k !== k0) {
      keys = keys ?? pool.keys.slice()
      keys[i] = k
    }
  })
  let next = keys === undefined ? pool : { ...pool, keys }
  if (next.keys.every((k) => isHealthy(k, now))) {
    next = { ...next, degraded: false }
    events.push({ topic: "resource.healed.all", provider: pool.provider })
  }
  return [events, next]
}

const replaceKey = (pool: PoolState, i: number, k: KeyState): PoolState => {
  const keys = pool.keys.slice()
  keys[i] = k
  return { ...pool, keys }
}

/**
 * Picks a key index among those `eligible(i)` allows, or -1. Plain index scans: this runs on
 * every request, and a pool is a handful of keys.
 */
const pick = (
  pool: PoolState,
  eligible: (i: number) => boolean,
  now: number,
  random: number,
  policy: ResolvedPolicy
): number => {
  const n = pool.keys.length
  if (pool.strategy === "weighted") {
    let total = 0
    for (let i = 0; i < n; i++) if (eligible(i)) total += pool.keys[i]!.weight
    // All remaining weights 0 (or none eligible): fall through to rotation among last resorts.
    if (total > 0) {
      const target = random * total
      let acc = 0
      let last = -1
      for (let i = 0; i < n; i++) {
        if (!eligible(i)) continue
        const weight = pool.keys[i]!.weight
        if (weight <= 0) continue
        acc += weight
        last = i
        if (target < acc) return i
      }
      return last
    }
  }
  // Round-robin takes the first eligible key from the cursor; least-penalised scans in the same
  // order and keeps the first of equal penalties, so equally healthy keys still rotate.
  let best = -1
  let bestPenalty = Number.POSITIVE_INFINITY
  for (let o = 0; o < n; o++) {
    const i = (pool.cursor + o) % n
    if (!eligible(i)) continue
    if (pool.strategy !== "least-penalized") return i
    const penalty = effectivePenalty(pool.keys[i]!, now, policy)
    if (penalty < bestPenalty) {
      best = i
      bestPenalty = penalty
    }
  }
  return best
}

/** Leases a key for `model`, skipping `exclude`; counts the lease on the chosen key. */
export const lease = (
  pool0: PoolState,
  input: {
    readonly model: string
    readonly exclude: ReadonlyArray<string> | undefined
    readonly now: number
    /** Uniform in [0, 1); used by the weighted strategy only. */
    readonly random: number
    readonly policy: ResolvedPolicy
  }
): readonly [LeaseResult, PoolState] => {
  const { model, exclude, now, policy } = input
  const [events, pool] = refresh(pool0, now, policy)
  const candidate = (k: KeyState) => exclude === undefined || !exclude.includes(k.key.id)
  const i = pick(
    pool,
    (j) => {
      const k = pool.keys[j]!
      return candidate(k) && blockedUntil(k, model, now) === 0
    },
    now,
    input.random,
    policy
  )
  if (i < 0) {
    const earliest = pool.keys.reduce(
      (min, k) => (candidate(k) ? Math.min(min, blockedUntil(k, model, now)) : min),
      Number.POSITIVE_INFINITY
    )
    return [{ key: undefined, availableAt: Number.isFinite(earliest) ? earliest : undefined, events }, pool]
  }
  const k = pool.keys[i]!
  const keys = pool.keys.slice()
  keys[i] = { ...k, leases: k.leases + 1 }
  return [
    { key: k.key, availableAt: undefined, events },
    { ...pool, keys, cursor: (i + 1) % keys.length }
  ]
}

/** What a failure does to the key: cool-down (key-wide or for the model) or disable. */
const failure = (
  k: KeyState,
  provider: string,
  model: string,
  c: Classification,
  now: number,
  policy: ResolvedPolicy
): readonly [EventInput | undefined, KeyState] => {
  const retryAfter = c.retryAfterMs ?? 0
  const counted = { ...k, failures: k.failures + 1 }
  switch (c.class) {
    case "auth_invalid":
    case "permission_denied": {
      // Calls in flight when the key died report too: only the first one disables and announces.
      if (k.disabled !== undefined) return [undefined, counted]
      const reason = `${c.class} (${c.rule})`
      const disabled: Disabled =
        policy.disabledRecheckMs === undefined
          ? { reason, at: now }
          : { reason, at: now, recheckAt: now + policy.disabledRecheckMs }
      const next = { ...addPenalty(counted, PENALTY.disabled, now, policy), disabled, unhealthy: true }
      return [{ topic: "resource.disabled", ...keyRef(provider, next), reason }, next]
    }
    case "rate_limit": {
      const prev = k.models[model]
      const streak = prev !== undefined && now - prev.lastAt < policy.healAfterMs ? prev.streak + 1 : 1
      const backoff = policy.backoffMs[Math.min(streak, policy.backoffMs.length) - 1] ?? 0
      const cooldownMs = Math.max(retryAfter, backoff)
      const until = Math.max(prev?.until ?? 0, now + cooldownMs)
      const next = {
        ...addPenalty(counted, PENALTY.rate_limit, now, policy),
        models: { ...k.models, [model]: { until, streak, lastAt: now } },
        unhealthy: k.unhealthy || cooldownMs > 0
      }
      return [penalized(provider, next, c, cooldownMs, now, policy), next]
    }
    default: {
      const cooldownMs = Math.max(
        retryAfter,
        c.class === "quota_exhausted" ? policy.quotaCooldownMs : policy.transientPenaltyMs
      )
      const points = c.class === "quota_exhausted" ? PENALTY.quota_exhausted : PENALTY.transient
      const next = {
        ...addPenalty(counted, points, now, policy),
        coolUntil: Math.max(k.coolUntil, now + cooldownMs),
        unhealthy: k.unhealthy || cooldownMs > 0
      }
      return [penalized(provider, next, c, cooldownMs, now, policy), next]
    }
  }
}

const penalized = (
  provider: string,
  k: KeyState,
  c: Classification,
  cooldownMs: number,
  now: number,
  policy: ResolvedPolicy
): EventInput => ({
  topic: "resource.penalized",
  ...keyRef(provider, k),
  class: c.class,
  cooldownMs,
  penalty: effectivePenalty(k, now, policy)
})

/** A success heals: one penalty point off and the model's rate-limit streak reset. */
const success = (k: KeyState, model: string, now: number, policy: ResolvedPolicy): KeyState => {
  // The common case: a healthy key stays as it is (no allocation on the happy path).
  if (k.penalty === 0 && k.models[model] === undefined) return k
  const healed = withPenaltyAt(k, effectivePenalty(k, now, policy) - PENALTY.success, now, policy)
  const cooling = k.models[model]
  if (cooling === undefined) return healed
  const models = { ...k.models }
  // A Retry-After the provider gave still stands; only the streak is forgotten.
  if (cooling.until > now) models[model] = { ...cooling, streak: 0 }
  else delete models[model]
  return { ...healed, models }
}

/** Feeds a call's outcome back. Only key-scoped failures penalise; unknown keys are ignored. */
export const report = (
  pool0: PoolState,
  input: {
    readonly model: string
    readonly keyId: string
    readonly outcome: Outcome
    readonly now: number
    readonly policy: ResolvedPolicy
  }
): readonly [ReadonlyArray<EventInput>, PoolState] => {
  const { model, keyId, outcome, now, policy } = input
  const isFailure = outcome._tag === "Failure"
  if (isFailure && outcome.classification.scope !== "key") return [noEvents, pool0]
  // Time acts first: a key whose recheck is due is on probation before this outcome lands.
  const [events, pool] = refresh(pool0, now, policy)
  const i = pool.keys.findIndex((k) => k.key.id === keyId)
  if (i < 0) return [events, pool]
  const k = pool.keys[i]!
  if (!isFailure) {
    const healed = success(k, model, now, policy)
    return [events, healed === k ? pool : replaceKey(pool, i, healed)]
  }
  const [event, next] = failure(k, pool.provider, model, outcome.classification, now, policy)
  const changed = replaceKey(pool, i, next)
  return [
    event === undefined ? events : [...events, event],
    next.unhealthy && !pool.degraded ? { ...changed, degraded: true } : changed
  ]
}

/**
 * Puts a disabled key back into service with a clean penalty: an operator vouches for it (unlike
 * a recheck, which keeps the penalty while the key is on probation). Cool-downs a provider asked
 * for still apply.
 */
export const enable = (
  pool0: PoolState,
  input: { readonly keyId: string; readonly now: number; readonly policy: ResolvedPolicy }
): readonly [ReadonlyArray<EventInput>, PoolState] => {
  const i = pool0.keys.findIndex((k) => k.key.id === input.keyId)
  const k = pool0.keys[i]
  if (k?.disabled === undefined) return refresh(pool0, input.now, input.policy)
  const { disabled: _, ...rest } = k
  return refresh(replaceKey(pool0, i, { ...rest, penalty: 0 }), input.now, input.policy)
}

/** Takes a key out of service until `enable()` (an operator's decision: no recheck). */
export const disable = (
  pool0: PoolState,
  input: { readonly keyId: string; readonly reason: string; readonly now: number; readonly policy: ResolvedPolicy }
): readonly [ReadonlyArray<EventInput>, PoolState] => {
  const [events, pool] = refresh(pool0, input.now, input.policy)
  const i = pool.keys.findIndex((k) => k.key.id === input.keyId)
  const k = pool.keys[i]
  if (k === undefined) return [events, pool]
  const next: KeyState = { ...k, disabled: { reason: input.reason, at: input.now }, unhealthy: true }
  return [
    [...events, { topic: "resource.disabled", ...keyRef(pool.provider, next), reason: input.reason }],
    { ...replaceKey(pool, i, next), degraded: true }
  ]
}

/** Reads the pool (after letting time act on it); ids and fingerprints only, never secrets. */
export const snapshot = (
  pool0: PoolState,
  now: number,
  policy: ResolvedPolicy
): readonly [readonly [ReadonlyArray<KeySnapshot>, ReadonlyArray<EventInput>], PoolState] => {
  const [events, pool] = refresh(pool0, now, policy)
  const keys = pool.keys.map((k): KeySnapshot => {
    const base = {
      provider: pool.provider,
      id: k.key.id,
      fingerprint: k.key.fingerprint,
      penalty: effectivePenalty(k, now, policy),
      leases: k.leases,
      failures: k.failures
    }
    const cooling = Object.entries(k.models).filter(([, c]) => c.until > now)
    const coolingModels =
      cooling.length > 0 ? { coolingModels: Object.fromEntries(cooling.map(([m, c]) => [m, c.until])) } : {}
    if (k.disabled !== undefined) {
      return {
        ...base,
        status: "disabled",
        disabledReason: k.disabled.reason,
        ...(k.disabled.recheckAt === undefined
          ? {}
          : { availableAt: Math.max(k.disabled.recheckAt, coolingUntil(k, now)) }),
        ...coolingModels
      }
    }
    const until = coolingUntil(k, now)
    return until === 0
      ? { ...base, status: "healthy" }
      : { ...base, status: "cooling", availableAt: until, ...coolingModels }
  })
  return [[keys, events], pool]
}
