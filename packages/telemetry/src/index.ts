/**
 * `@am/telemetry` — the production event bus (bounded per-subscriber queues, explicit overflow
 * policy, counted drops, draining shutdown), structured JSON attempt logs, OpenTelemetry GenAI
 * metrics with Prometheus text export, an OTLP layer, and the batched event writer.
 *
 * @since 0.1.0
 */
export * as EventWriter from "./EventWriter.ts"
export * as JsonLogs from "./JsonLogs.ts"
export * as Metrics from "./Metrics.ts"
export * as TelemetryOtlp from "./Otlp.ts"
export * from "./Telemetry.ts"
