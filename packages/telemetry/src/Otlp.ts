/**
 * OTLP export of traces, metrics and logs (Effect's `effect/observability` OTLP exporters over
 * HTTP/JSON), configured by the collector's base URL. Building the layer opens no connection:
 * data is exported on an interval, so it builds and runs without a collector.
 *
 * @example
 * ```ts
 * import { TelemetryOtlp } from "@am/telemetry"
 * const otlp = TelemetryOtlp.layer({ baseUrl: "http://localhost:4318", serviceName: "adaptive-mind" })
 * ```
 * @since 0.1.0
 */
import { type Duration, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { Otlp, type OtlpExporter } from "effect/observability"

export interface OtlpOptions {
  /** The collector's base URL; `/v1/traces`, `/v1/metrics` and `/v1/logs` are appended. */
  readonly baseUrl: string
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  readonly headers?: Record<string, string> | undefined
  readonly exportInterval?: Duration.Input | undefined
  /** How long shutdown may spend exporting what is buffered (default: Effect's). */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/** Traces, metrics and logs to an OTLP/HTTP collector (JSON encoding, `fetch` client). */
export const layer = (options: OtlpOptions): Layer.Layer<OtlpExporter.Flusher> =>
  Otlp.layerJson({
    baseUrl: options.baseUrl,
    resource: { serviceName: options.serviceName ?? "adaptive-mind", serviceVersion: options.serviceVersion },
    headers: options.headers,
    metricsExportInterval: options.exportInterval,
    tracerExportInterval: options.exportInterval,
    loggerExportInterval: options.exportInterval,
    shutdownTimeout: options.shutdownTimeout
  }).pipe(Layer.provide(FetchHttpClient.layer))
