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
import { Ledger } from "@am/ledger"
import { Telemetry } from "@am/telemetry"
import { PricingDefault } from "@am/usage"
import { Duration, Layer } from "effect"
import { genAiProviderName } from "./Observability.ts"
import { layerHostStores } from "./Stores.ts"

/** Stores, telemetry bus (the `EventBus`), ledger and pricing for a config. */
export const layerAudit = (config: AmConfig, options?: { readonly logs?: boolean }) => {
  const stores = layerHostStores(config.ledger.store)
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
  return Layer.mergeAll(stores, telemetry, ledger, PricingDefault)
}
