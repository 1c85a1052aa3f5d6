/**
 * Config checks shared by the layers: a bad field fails the layer with `CacheConfigError`
 * naming it, rather than being accepted and ignored.
 *
 * @internal
 */
import { Duration, Effect, Option } from "effect"
import { CacheConfigError } from "../Errors.ts"

/** A positive, finite duration in ms; `fallback` when the field is absent. */
export const positiveMillis = (
  field: string,
  input: Duration.Input | undefined,
  fallback: Duration.Input
): Effect.Effect<number, CacheConfigError> => {
  const parsed = Duration.fromInput(input ?? fallback)
  if (Option.isNone(parsed)) {
    return Effect.fail(new CacheConfigError({ field, detail: `not a duration: ${JSON.stringify(input)}` }))
  }
  const ms = Duration.toMillis(parsed.value)
  if (!Number.isFinite(ms) || ms <= 0) {
    return Effect.fail(new CacheConfigError({ field, detail: "must be a positive, finite duration" }))
  }
  return Effect.succeed(ms)
}

/** A positive integer, or `undefined` when absent (no bound). */
export const positiveInt = (
  field: string,
  value: number | undefined
): Effect.Effect<number | undefined, CacheConfigError> =>
  value === undefined
    ? Effect.succeed(undefined)
    : Number.isSafeInteger(value) && value > 0
      ? Effect.succeed(value)
      : Effect.fail(new CacheConfigError({ field, detail: "must be a positive integer" }))
