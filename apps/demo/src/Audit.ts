/**
 * Wires the audit trail a config asks for: `ledger.store` picks the store (`sqlite:PATH`,
 * `postgres://…` or `memory`), the ledger spools to `ledger.spoolDir`, and `telemetry` sets
 * the event bus's subscribers. The engine reads these services when they are present.
 */
import type { EngineConfig } from "@am/engine"
import { Ledger, MemoryLedgerStore } from "@am/ledger"
import { StoreUrl } from "@am/store-sql"
import { EventWriter, Telemetry } from "@am/telemetry"
import { PricingDefault } from "@am/usage"
import { Duration, Layer } from "effect"

const storesFor = (spec: string) =>
  StoreUrl.isSql(spec) ? StoreUrl.layer(spec) : Layer.merge(MemoryLedgerStore.layer, EventWriter.layerMemoryStore)

export const layerAudit = (config: EngineConfig) => {
  const stores = storesFor(config.ledger.store)
  const telemetry = Telemetry.layer({
    logs: config.telemetry.logs ? {} : false,
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
  }).pipe(Layer.provide(stores))
  return Layer.mergeAll(stores, telemetry, ledger, PricingDefault)
}
