/**
 * `telemetry.otlp`: OTLP/HTTP export of the engine's traces, metrics and logs with Effect's own
 * exporters (`effect/observability`, JSON encoding) to the collector at `url` (its base URL, as
 * `OTEL_EXPORTER_OTLP_ENDPOINT`: `/v1/traces`, `/v1/metrics`, `/v1/logs` are appended), under the
 * resource `service.name` = `serviceName` (default `"adaptive-mind"`). `layerEngine` merges it in,
 * so every host exports the same way. Nothing connects at start (a missing collector never fails
 * a host); data leaves on an interval, and what is buffered is flushed when the layer's scope
 * closes (`close()`, `await using`, a host's shutdown), bounded by `shutdownTimeout`.
 *
 * Spans carry the OpenTelemetry GenAI attributes (`gen_ai.operation.name`, `gen_ai.provider.name`,
 * `gen_ai.request.model`, `gen_ai.usage.*`, `error.type`); metrics are the GenAI histograms
 * (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage`) and the `am.*` counters.
 *
 * @example
 * ```ts
 * import { createEngine } from "@am/runtime"
 * const engine = createEngine({
 *   providers: { primary: { kind: "openai", keys: [{ id: "k1", secret: "env:OPENAI_API_KEY" }], models: [{ name: "gpt-4o" }] } },
 *   routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
 *   telemetry: { otlp: { url: "http://127.0.0.1:4318", serviceName: "checkout" } }
 * })
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import { TelemetryOtlp } from "@am/telemetry"
import { type Duration, Layer, References } from "effect"
import { OtlpExporter } from "effect/observability"
import type { AmConfig } from "./Config.ts"

/** The resource `service.name` when `telemetry.otlp.serviceName` is not set. */
export const DEFAULT_SERVICE_NAME = "adaptive-mind"

/**
 * `gen_ai.provider.name` for a provider kind, per the OpenTelemetry GenAI registry: `openai`,
 * `anthropic`, `gcp.gemini`; an OpenAI-compatible server speaks OpenAI's API and is named `openai`.
 */
export const genAiProviderName = (kind: ProviderKind | undefined): string | undefined => {
  switch (kind) {
    case "openai":
    case "openai-compatible":
      return "openai"
    case "anthropic":
      return "anthropic"
    case "gemini":
      return "gcp.gemini"
    default:
      return undefined
  }
}

/** Export tuning a host may set (not part of the config file). */
export interface ObservabilityOptions {
  /** How often buffered spans, metrics and logs are sent (default: Effect's — 5 s traces, 10 s metrics, 1 s logs). */
  readonly exportInterval?: Duration.Input | undefined
  /** How long closing may spend sending what is buffered (default 3 s per signal). */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/**
 * OTLP export per `telemetry.otlp`, installing the tracer, the metrics exporter and a logger
 * next to the existing ones. Without `telemetry.otlp` nothing is exported and no spans are built
 * (`References.TracerEnabled` is false; to trace with a tracer of your own, provide it `true` to
 * the effects you run, with `Effect.provideService`). Either way the layer provides
 * `OtlpExporter.Flusher`, so a host can flush on demand (a no-op without OTLP).
 */
export const layerObservability = (
  config: Pick<AmConfig, "telemetry">,
  options?: ObservabilityOptions
): Layer.Layer<OtlpExporter.Flusher> => {
  const otlp = config.telemetry.otlp
  // No exporter, no spans: nothing would read them, and the request's and each
  // attempt's span (clock reads, attributes) cost 11–16 µs of the engine's happy path
  // (`./am bench engine`). A caller with a tracer of its own provides `References.TracerEnabled`.
  if (otlp === undefined) return Layer.merge(OtlpExporter.layerFlusher, Layer.succeed(References.TracerEnabled, false))
  return TelemetryOtlp.layer({
    baseUrl: otlp.url,
    serviceName: otlp.serviceName !== undefined && otlp.serviceName !== "" ? otlp.serviceName : DEFAULT_SERVICE_NAME,
    exportInterval: options?.exportInterval,
    shutdownTimeout: options?.shutdownTimeout
  })
}
