/**
 * The engine's configuration: the `am.config.json` contract of DESIGN.md as one Schema
 * (`AmConfigSchema`) that decodes the file as written into the resolved `AmConfig` — defaults
 * filled, durations in milliseconds, `env:NAME` secrets held as `Redacted`, cross-field rules
 * checked — after environment overrides (environment wins). An invalid config fails closed at
 * start with the path of the bad field.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@am/runtime"
 * import { Effect } from "effect"
 * const config = Effect.runSync(loadConfig({
 *   providers: { primary: { kind: "openai", keys: [{ id: "k1", secret: "env:OPENAI_KEY" }], models: [{ name: "gpt-4o" }] } },
 *   routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
 * }, { env: { OPENAI_KEY: "sk-..." } }))
 * ```
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { schemaIssuePath } from "@am/core"
import { Effect, Schema, SchemaIssue } from "effect"
import { applyEnvOverrides } from "./EnvOverrides.ts"
import { ConfigEnv } from "./internal/ConfigFields.ts"
import { ConfigSchema } from "./internal/ConfigSchema.ts"

export { applyEnvOverrides } from "./EnvOverrides.ts"
export { ConfigEnv } from "./internal/ConfigFields.ts"
export { DEFAULT_STATE_PREFIX } from "./internal/HostSchema.ts"
export { DEFAULT_REWRITER_TIMEOUT_MS } from "./internal/PolicySchema.ts"

/**
 * The config file's Schema: decodes the file as written (after environment overrides) into
 * `AmConfig`. Decoding reads `env:NAME` secrets from the `ConfigEnv` service.
 */
export const AmConfigSchema = ConfigSchema

/** The config file as written (before defaults, durations, secrets and environment are resolved), e.g. for JSON Schema. */
export const ConfigFile = Schema.toEncoded(AmConfigSchema)
export type ConfigFile = typeof ConfigFile.Type

/**
 * The resolved configuration every host runs on: the engine's part (`EngineConfig`) plus the
 * hosts' server, stores, telemetry and gateway keys — the Schema's decoded type (the engine's layers
 * take it as an `EngineConfig`; test/EveryConfigFieldTakesEffectOrIsRejected pins the shape). `state.store` is `memory` or a validated
 * `redis://` / `rediss://` URL; `state.prefix` namespaces the Redis keys.
 */
export interface AmConfig extends DecodedConfig {}
type DecodedConfig = typeof AmConfigSchema.Type

/** A configuration problem, with the dotted path of the bad field. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  path: Schema.String,
  message: Schema.String
}) {}

export interface LoadOptions {
  /** Where `AM__…` overrides and `env:NAME` secrets are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
}

const firstIssue = SchemaIssue.makeFormatterStandardSchemaV1()

const decode = Schema.decodeUnknownEffect(AmConfigSchema)

/**
 * Overrides from the environment, then decodes, resolves secrets and validates a config. Fails
 * with `ConfigError` naming the path of the first bad field.
 */
export const loadConfig = (raw: unknown, options?: LoadOptions): Effect.Effect<AmConfig, ConfigError> => {
  const env = options?.env ?? process.env
  return decode(applyEnvOverrides(raw, env), { errors: "first" }).pipe(
    Effect.provideService(ConfigEnv, env),
    Effect.mapError(
      (e) =>
        new ConfigError({
          path: schemaIssuePath(e) ?? "(root)",
          message: firstIssue(e.issue).issues[0]?.message ?? e.message
        })
    )
  )
}

/** Reads a JSON config file (path from `--config` or `AM_CONFIG`) and loads it. */
export const loadConfigFile = (path: string, options?: LoadOptions) =>
  Effect.try({
    try: () => JSON.parse(readFileSync(path, "utf8")) as unknown,
    catch: (e) => new ConfigError({ path: "(file)", message: `cannot read ${path}: ${(e as Error).message}` })
  }).pipe(Effect.flatMap((raw) => loadConfig(raw, options)))
