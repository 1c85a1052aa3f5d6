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
import { Ledger } from "@am/ledger"
import { Telemetry } from "@am/telemetry"
import { PricingDefault } from "@am/usage"
import { Duration, Layer } from "effect"
import { genAiProviderName } from "./Observability.ts"
import { isDurableStore, layerHostStores, layerStores } from "./Stores.ts"

/** Stores, telemetry bus (the `EventBus`), ledger and pricing for a config. */
export const layerAudit = (config: AmConfig, options?: { readonly logs?: boolean }) => {
  // One layer value per store, so the recorder and the ledger share one connection (layers memoise by reference).
  const durable = isDurableStore(config.ledger.store) ? layerStores(config.ledger.store) : undefined
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
    ...(config.ledger.spoolDir !== undefined ? { spoolDir: config.ledger.spoolDir } : {}),
    ...(config.ledger.previewLengths !== undefined ? { previewLengths: config.ledger.previewLengths } : {})
  }).pipe(Layer.provide(Layer.merge(stores, telemetry))) // with the bus: bias.ledger.entry.created is published
  // A durable store also keeps each request's `llm_runs` row; memory keeps ledger entries only.
  const recorder =
    durable !== undefined
      ? RequestRecorder.layerWithRuns.pipe(Layer.provide(Layer.mergeAll(durable, ledger, PricingDefault)))
      : RequestRecorder.layer.pipe(Layer.provide(Layer.merge(ledger, PricingDefault)))
  return Layer.mergeAll(stores, telemetry, ledger, PricingDefault, recorder)
}
