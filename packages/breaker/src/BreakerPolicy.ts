/**
 * Breaker policies: when a circuit trips and how long it stays open.
 *
 * A policy names one trip rule (`consecutiveFailures`, or `failureRate`) and an open
 * duration that grows exponentially from `openFor` on repeated trips and never exceeds
 * `maxOpenFor` (default 20 s, or `openFor` when that is longer), so a provider that recovers
 * gets its probe within one capped interval. A provider's policy overrides the defaults field
 * by field; its trip rule replaces the default trip rule as a whole.
 *
 * @example
 * ```ts
 * import type { BreakersConfig } from "@am/breaker"
 * const config: BreakersConfig = {
 *   defaults: { consecutiveFailures: 5, openFor: "10 seconds", maxOpenFor: "20 seconds" },
 *   providers: { secondary: { failureRate: { threshold: 0.5, minimumCalls: 10, window: 20 } } }
 * }
 * ```
 * @since 0.1.0
 */
import { Duration, Option, Schedule } from "effect"
import { CircuitBreaker } from "effect/persistence"

/**
 * Failure-rate trip rule over the last `window` recorded calls (a count-based sliding
 * window, like resilience4j's `COUNT_BASED`). Effect's `CircuitBreaker` keeps a ring of
 * outcomes, not timestamps, so the window is a number of calls, not a duration.
 */
export interface FailureRatePolicy {
  /** Fraction in `[0, 1]`: the circuit opens when failures / recorded calls reaches it. */
  readonly threshold: number
  /** No rate is computed below this many recorded calls (default: `window`). */
  readonly minimumCalls?: number
  /** How many of the most recent recorded calls the rate is computed over (default 100). */
  readonly window?: number
}

/** One breaker policy. Every field is optional; see the defaults on each field. */
export interface BreakerPolicy {
  /** Trip after N consecutive counted failures (default 5). */
  readonly consecutiveFailures?: number
  /** Alternative trip rule: failure rate over the last `window` recorded calls. */
  readonly failureRate?: FailureRatePolicy
  /** Base open duration (default "10 seconds"); the n-th consecutive opening lasts `min(openFor · 2^(n-1), maxOpenFor)`. */
  readonly openFor?: Duration.Input
  /**
   * Cap on the open duration, Retry-After hints included (default "20 seconds", or `openFor` when
   * that is longer). It is also the longest wait between two half-open probes of a provider that
   * keeps failing, so it bounds how late a recovered provider gets its traffic back.
   */
  readonly maxOpenFor?: Duration.Input
  /**
   * Cap on a Retry-After hint, which can lengthen the opening it trips beyond the grown duration
   * (default: `maxOpenFor` when set, else "5 minutes"). A provider that asks for 90 s gets them;
   * the growth cap alone would probe it sooner than it asked.
   */
  readonly maxRetryAfter?: Duration.Input
}

/** Breaker configuration: defaults plus per-provider overrides keyed by provider id. */
export interface BreakersConfig {
  readonly defaults?: BreakerPolicy
  readonly providers?: Readonly<Record<string, BreakerPolicy>>
  /**
   * The models each provider is known to serve. Their `model:<id>/<model>` circuits (and the
   * provider's own) are listed in `snapshot` from the start, before this instance has called
   * them: with a shared store, a circuit another replica tripped shows here too.
   */
  readonly models?: Readonly<Record<string, ReadonlyArray<string>>>
  /**
   * While the circuit store fails (e.g. Redis is down) calls run unrecorded; the failure is
   * logged at most once per this interval, with the number of failed store operations since
   * the last log (default "30 seconds").
   */
  readonly storeErrorLogInterval?: Duration.Input
}

/** A policy resolved into what `CircuitBreaker.make` takes. */
export interface ResolvedPolicy {
  readonly tripPolicy: CircuitBreaker.TripPolicy
  readonly openDuration: Schedule.Schedule<unknown, number, never, never>
  readonly openFor: Duration.Duration
  readonly maxOpenFor: Duration.Duration
  readonly maxRetryAfter: Duration.Duration
}

const DEFAULT_CONSECUTIVE = 5
const DEFAULT_OPEN_FOR = "10 seconds"
// ≤ 30 s on purpose: with a request every few seconds a recovered provider is back within
// maxOpenFor + one request gap (a flapping primary returns well inside 30 s of its recovery).
const DEFAULT_MAX_OPEN_FOR = "20 seconds"
const DEFAULT_MAX_RETRY_AFTER = "5 minutes"
const DEFAULT_WINDOW = 100

const isWholeAtLeast = (n: unknown, min: number): n is number =>
  typeof n === "number" && Number.isInteger(n) && n >= min

const decodeDuration = (input: unknown): Duration.Duration | undefined => {
  if (input === undefined || input === null) return undefined
  const d = Option.getOrUndefined(Duration.fromInput(input as Duration.Input))
  return d !== undefined && Duration.isFinite(d) && Duration.toMillis(d) > 0 ? d : undefined
}

const policyProblems = (path: string, policy: unknown): Array<string> => {
  if (policy === undefined) return []
  if (typeof policy !== "object" || policy === null) return [`${path}: must be an object`]
  const p = policy as Record<string, unknown>
  const out: Array<string> = []
  if (p.consecutiveFailures !== undefined && p.failureRate !== undefined) {
    out.push(`${path}: set either consecutiveFailures or failureRate, not both`)
  }
  if (p.consecutiveFailures !== undefined && !isWholeAtLeast(p.consecutiveFailures, 1)) {
    out.push(`${path}.consecutiveFailures: must be an integer >= 1 (got ${String(p.consecutiveFailures)})`)
  }
  if (p.failureRate !== undefined) {
    const r = p.failureRate as Record<string, unknown> | null
    if (typeof r !== "object" || r === null) {
      out.push(`${path}.failureRate: must be an object`)
    } else {
      const threshold = r.threshold
      if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
        out.push(`${path}.failureRate.threshold: must be a number in [0, 1] (got ${String(threshold)})`)
      }
      const window = r.window ?? DEFAULT_WINDOW
      if (!isWholeAtLeast(window, 1)) {
        out.push(
          `${path}.failureRate.window: must be a whole number of calls >= 1 (got ${JSON.stringify(window)}); ` +
            "the breaker's rate window counts calls, not time"
        )
      }
      if (r.minimumCalls !== undefined) {
        if (!isWholeAtLeast(r.minimumCalls, 1)) {
          out.push(`${path}.failureRate.minimumCalls: must be an integer >= 1 (got ${String(r.minimumCalls)})`)
        } else if (typeof window === "number" && r.minimumCalls > window) {
          out.push(`${path}.failureRate.minimumCalls: must not exceed window (${r.minimumCalls} > ${window})`)
        }
      }
    }
  }
  for (const field of ["openFor", "maxOpenFor", "maxRetryAfter"] as const) {
    if (p[field] !== undefined && decodeDuration(p[field]) === undefined) {
      out.push(`${path}.${field}: must be a positive finite duration such as "30 seconds" (got ${String(p[field])})`)
    }
  }
  return out
}

const modelsProblems = (models: unknown): Array<string> => {
  if (models === undefined) return []
  if (typeof models !== "object" || models === null) return ["models: must be an object of model lists by provider"]
  const out: Array<string> = []
  for (const [id, list] of Object.entries(models)) {
    if (!Array.isArray(list)) out.push(`models.${id}: must be an array of model names`)
    else
      list.forEach((m, i) => {
        if (typeof m !== "string" || m.length === 0) out.push(`models.${id}.${i}: must be a non-empty string`)
      })
  }
  return out
}

/**
 * Every problem in a breaker configuration, each prefixed with the path of the bad field
 * (`providers.primary.failureRate.threshold: …`). Empty when the configuration is valid.
 * The layers refuse to start on an invalid configuration; call this first to report it.
 *
 * @example
 * ```ts
 * import { validateBreakersConfig } from "@am/breaker"
 * validateBreakersConfig({ defaults: { consecutiveFailures: 0 } })
 * // ["defaults.consecutiveFailures: must be an integer >= 1 (got 0)"]
 * ```
 */
export const validateBreakersConfig = (config: BreakersConfig): ReadonlyArray<string> => {
  const out = policyProblems("defaults", config.defaults)
  for (const [id, policy] of Object.entries(config.providers ?? {})) {
    out.push(...policyProblems(`providers.${id}`, policy))
  }
  out.push(...modelsProblems(config.models))
  if (config.storeErrorLogInterval !== undefined && decodeDuration(config.storeErrorLogInterval) === undefined) {
    out.push(
      `storeErrorLogInterval: must be a positive finite duration such as "30 seconds" (got ${String(config.storeErrorLogInterval)})`
    )
  }
  // The cap is checked on the merged policy, where openFor and maxOpenFor may come from different levels.
  if (out.length === 0) {
    const check = (path: string, own?: BreakerPolicy) => {
      const { maxOpenFor, openFor } = resolvePolicy(config.defaults, own)
      if (Duration.isLessThan(maxOpenFor, openFor)) {
        out.push(
          `${path}.maxOpenFor: must be at least openFor (${Duration.format(maxOpenFor)} < ${Duration.format(openFor)})`
        )
      }
    }
    check("defaults")
    for (const [id, policy] of Object.entries(config.providers ?? {})) check(`providers.${id}`, policy)
  }
  return out
}

const tripPolicyOf = (policy: BreakerPolicy | undefined): CircuitBreaker.TripPolicy | undefined => {
  if (policy?.failureRate !== undefined) {
    const window = policy.failureRate.window ?? DEFAULT_WINDOW
    return CircuitBreaker.rate({
      threshold: policy.failureRate.threshold,
      size: window,
      minimumCalls: policy.failureRate.minimumCalls ?? window
    })
  }
  if (policy?.consecutiveFailures !== undefined) return CircuitBreaker.consecutive(policy.consecutiveFailures)
  return undefined
}

/**
 * Merges a provider's policy over the defaults and resolves it. Assumes a valid
 * configuration (see `validateBreakersConfig`).
 */
export const resolvePolicy = (defaults: BreakerPolicy | undefined, own?: BreakerPolicy): ResolvedPolicy => {
  const tripPolicy = tripPolicyOf(own) ?? tripPolicyOf(defaults) ?? CircuitBreaker.consecutive(DEFAULT_CONSECUTIVE)
  const openFor = Duration.fromInputUnsafe(own?.openFor ?? defaults?.openFor ?? DEFAULT_OPEN_FOR)
  const explicitMax = own?.maxOpenFor ?? defaults?.maxOpenFor
  // Without an explicit cap a long openFor is its own cap (no growth) rather than a config error.
  const maxOpenFor =
    explicitMax === undefined
      ? Duration.max(Duration.fromInputUnsafe(DEFAULT_MAX_OPEN_FOR), openFor)
      : Duration.fromInputUnsafe(explicitMax)
  // The n-th consecutive opening lasts openFor·2^(n-1); `min` with a constant caps it (CircuitBreaker's
  // own advice), so a flapping provider never stays away longer than maxOpenFor.
  const openDuration = Schedule.min([Schedule.exponential(openFor), Schedule.spaced(maxOpenFor)])
  const maxRetryAfter = Duration.fromInputUnsafe(
    own?.maxRetryAfter ?? defaults?.maxRetryAfter ?? explicitMax ?? DEFAULT_MAX_RETRY_AFTER
  )
  return { tripPolicy, openDuration, openFor, maxOpenFor, maxRetryAfter }
}
