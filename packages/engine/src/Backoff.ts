/**
 * Backoff between retries on one provider: exponential, capped, with AWS "Full Jitter"
 * (sleep = uniform(0, min(cap, base · factor^n))) and the provider's Retry-After as a floor
 * (AWS Architecture Blog, "Exponential Backoff and Jitter"). The engine's plan-step schedules
 * (`internal/Drive.ts`) take each retry's delay from here.
 *
 * Seed 003's fixed 1 s / 2 s / 4 s is `{ baseMs: 1000, factor: 2, jitter: false }` with three
 * provider retries.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "@am/engine"
 * backoffDelay({ baseMs: 200, maxMs: 8000, factor: 2, jitter: true }, 2, 0.5) // 400: half of min(8000, 200 · 2²)
 * ```
 * @since 0.1.0
 */
export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
  readonly factor: number
  readonly jitter: boolean
}

/** The delay before retry `n` (0-based) given a uniform sample `u` in [0, 1). Pure, for tests and docs. */
export const backoffDelay = (options: BackoffOptions, n: number, u: number, retryAfterMs?: number): number => {
  const ceiling = Math.min(options.maxMs, options.baseMs * options.factor ** n)
  const jittered = options.jitter ? u * ceiling : ceiling
  return Math.max(jittered, retryAfterMs ?? 0)
}
