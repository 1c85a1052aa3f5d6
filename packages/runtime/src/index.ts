/**
 * `@am/runtime` — the wiring every host shares: the config file (schema, environment overrides,
 * `env:` secrets), providers by `kind`, stores by URL (`memory`, `sqlite:PATH`, `postgres://…`,
 * `redis://…`), telemetry and audit, and `createEngine`, the Promise facade.
 *
 * @since 0.1.0
 */
export * from "./AmError.ts"
export * from "./Audit.ts"
export * from "./Cache.ts"
export * from "./Config.ts"
export * from "./createEngine.ts"
export * from "./FieldSupport.ts"
export * from "./Layers.ts"
export * from "./Observability.ts"
export * from "./ResilientStores.ts"
export * as RunJournal from "./RunJournal.ts"
export * from "./StateRedis.ts"
export * from "./StoreHealth.ts"
export * from "./Stores.ts"
