/**
 * The field schemas the config is built from: durations decoded to milliseconds, positive
 * integers, `env:NAME` secrets decoded to `Redacted` from the environment given to `loadConfig`
 * (the `ConfigEnv` decoding service), and a filter that names the duplicate entry of a list.
 *
 * @internal
 */
import { Context, Duration, Effect, Option, Redacted, Schema, SchemaGetter, SchemaIssue } from "effect"

/** The environment `env:NAME` secrets are read from while the config decodes. */
export class ConfigEnv extends Context.Service<ConfigEnv, Readonly<Record<string, string | undefined>>>()(
  "@am/runtime/ConfigEnv"
) {}

export const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** A duration as written: text (`"200 millis"`, `"30 seconds"`) or a number of milliseconds. */
const DurationInput = Schema.Union([
  Schema.String.check(
    Schema.makeFilter((s: string) => Option.isSome(Duration.fromInput(s as Duration.Input)), {
      expected: 'a duration such as "200 millis" or "30 seconds"'
    })
  ),
  Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
])

const toMillis = (d: string | number): number => (typeof d === "number" ? d : Duration.toMillis(d as Duration.Input))

const millisFrom = <S extends Schema.Codec<string | number, string | number>>(written: S) =>
  written.pipe(
    Schema.decodeTo(Schema.Number, {
      decode: SchemaGetter.transform(toMillis),
      encode: SchemaGetter.transform((ms: number) => ms)
    })
  )

/** A duration, decoded to milliseconds. */
export const Millis = millisFrom(DurationInput)

/**
 * A duration longer than 0, decoded to milliseconds. The bound is checked on the written value,
 * so it is reported under the field's written name even where the decoded field is renamed.
 */
export const PositiveMillis = millisFrom(
  DurationInput.check(Schema.makeFilter((d) => toMillis(d) > 0 || "must be longer than 0"))
)

/**
 * A secret as written — `env:NAME` or a literal — decoded to `Redacted`. `env:NAME` is read from
 * `ConfigEnv`; unset or empty fails at this field. A resolved secret is never encoded back.
 */
export const Secret = Schema.NonEmptyString.pipe(
  Schema.decodeTo(Schema.Redacted(Schema.String), {
    decode: SchemaGetter.transformEffect((written: string) =>
      written.startsWith("env:")
        ? ConfigEnv.use((env) => {
            const name = written.slice(4)
            const value = env[name]
            return value === undefined || value === ""
              ? Effect.fail(new SchemaIssue.InvalidValue({ message: `environment variable ${name} is not set` }))
              : Effect.succeed(Redacted.make(value))
          })
        : Effect.succeed(Redacted.make(written))
    ),
    encode: SchemaGetter.forbidden(() => "a resolved secret is never encoded")
  })
)

/** Fails at `[i, key]` of the first entry whose `key` an earlier entry already has. */
export const isUniqueBy = <K extends string>(key: K, what: string) =>
  Schema.makeFilter((entries: ReadonlyArray<{ readonly [P in K]: string }>) => {
    const seen = new Set<string>()
    for (const [i, entry] of entries.entries()) {
      if (seen.has(entry[key])) return { path: [i, key], issue: `duplicate ${what} "${entry[key]}"` }
      seen.add(entry[key])
    }
    return undefined
  })
