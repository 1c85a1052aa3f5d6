/**
 * Wires the audit trail a config asks for: `ledger.store` picks the store (`sqlite:PATH`,
 * `postgres://…` or `memory`, see `layerStores`), the ledger spools to `ledger.spoolDir`, and `telemetry` sets
 * the event bus's subscribers (JSON logs, metrics, the batched event writer). The engine reads
 * these services when they are present. The demo uses the same wiring.
 *
 * @example
 * ```ts
 * import { layerAudit } from "@am/runtime"
 * declare const config: import("@am/runtime").AmConfig
 * const audit = layerAudit(config)
 * ```
 * @since 0.1.0
 */
import type { AmConfig } from "./Config.ts"
import { RequestRecorder } from "@am/engine"
import { DEFAULT_SPOOL_DIR, Ledger } from "@am/ledger"
import { Telemetry } from "@am/telemetry"
import { PricingDefault } from "@am/usage"
import { Duration, Effect, Layer } from "effect"
import { genAiProviderName } from "./Observability.ts"
import { DEFAULT_SPOOL_LIMIT, layerResilientStores } from "./ResilientStores.ts"
import { componentState, StoreHealth } from "./StoreHealth.ts"
import { isDurableStore, layerHostStores } from "./Stores.ts"

/**
 * Stores, telemetry bus (the `EventBus`), ledger, pricing and `StoreHealth` for a config. A durable
 * `ledger.store` runs through `layerResilientStores`: bounded calls, a breaker, start degraded,
 * ledger spool + run journal + held events as the fallbacks.
 */
export const layerAudit = (config: AmConfig, options?: { readonly logs?: boolean }) => {
  // One layer value per store, so the recorder and the ledger share one connection (layers memoise by reference).
  const spoolDir = config.ledger.spoolDir ?? DEFAULT_SPOOL_DIR
  const durable = isDurableStore(config.ledger.store)
    ? layerResilientStores(config.ledger.store, {
        spoolDir,
        ...(config.ledger.queryTimeoutMs !== undefined ? { queryTimeoutMs: config.ledger.queryTimeoutMs } : {}),
        ...(config.ledger.spoolLimit !== undefined ? { spoolLimit: config.ledger.spoolLimit } : {})
      })
    : undefined
  const stores = durable ?? layerHostStores(config.ledger.store)
  const telemetry = Telemetry.layer({
    logs: (options?.logs ?? config.telemetry.logs) ? {} : false,
    // GenAI metrics name the provider as OpenTelemetry does (`openai`, `anthropic`, `gcp.gemini`), not by its config id.
    metrics: { providerName: (id) => genAiProviderName(config.providers.get(id)?.kind) ?? id },
    writer: {
      ...(config.telemetry.events.batchSize !== undefined ? { batchSize: config.telemetry.events.batchSize } : {}),
      ...(config.telemetry.events.flushIntervalMs !== undefined
        ? { flushInterval: Duration.millis(config.telemetry.events.flushIntervalMs) }
        : {})
    }
  }).pipe(Layer.provide(stores))
  const ledger = Ledger.layer({
    spoolDir,
    ...(config.ledger.previewLengths !== undefined ? { previewLengths: config.ledger.previewLengths } : {})
  }).pipe(Layer.provide(Layer.merge(stores, telemetry))) // with the bus: bias.ledger.entry.created is published
  // A durable store also keeps each request's `llm_runs` row; memory keeps ledger entries only.
  const recorder =
    durable !== undefined
      ? RequestRecorder.layerWithRuns.pipe(Layer.provide(Layer.mergeAll(durable, ledger, PricingDefault)))
      : RequestRecorder.layer.pipe(Layer.provide(Layer.merge(ledger, PricingDefault)))
  // store:ledger counts the ledger's spool; a memory ledger is listed too (always up).
  const limit = config.ledger.spoolLimit ?? DEFAULT_SPOOL_LIMIT
  const ledgerHealth = Layer.effectDiscard(
    Effect.gen(function* () {
      const health = yield* StoreHealth
      const spool = yield* Ledger.LedgerSpool
      yield* health.addSpool("store:ledger", spool.size)
      if (durable === undefined) {
        const probe = (spooled: number) =>
          Effect.succeed({
            ...componentState({ connected: true, circuit: "closed", spooled, limit }),
            detail: "memory"
          })
        yield* health.register("store:ledger", probe)
      }
    })
  ).pipe(Layer.provide(ledger))
  // One StoreHealth for every component: provided once, below everything that registers in it.
  return Layer.mergeAll(stores, telemetry, ledger, PricingDefault, recorder, ledgerHealth).pipe(
    Layer.provideMerge(StoreHealth.layer)
  )
}
