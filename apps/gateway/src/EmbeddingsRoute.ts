/**
 * `POST /v1/embeddings`: OpenAI's embeddings through the engine's `embed` — failover across the
 * route's embedding models and providers, key rotation, breakers, the deadline, one ledger entry
 * and one `llm_runs` row per accepted request. Admitted in the chat route's order: draining,
 * gateway key, JSON body, wire schema, `Idempotency-Key` and `x-am-deadline-ms`, the engine's
 * own checks; every refusal or engine failure is a `GatewayError`.
 *
 * @example
 * ```ts
 * import { embeddings } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { decodeEmbeddingRequest, Engine } from "@am/engine"
import type { EmbeddingRequest } from "@am/core"
import { Effect, Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { amHeaders, calls } from "./AmHeaders.ts"
import { decodeEmbeddingsBody, inputTexts, toEmbeddingRequest, toEmbeddingsResponse } from "./EmbeddingsWire.ts"
import { type Auth, authenticate } from "./GatewayAuth.ts"
import { GatewayError, ShuttingDown } from "./GatewayError.ts"
import { Lifecycle } from "./Lifecycle.ts"
import { deadlineOf, idempotencyKeyOf, readJsonText } from "./RequestInput.ts"

/** Options of the embeddings route. */
export interface EmbeddingsOptions {
  readonly auth: Auth
  /** Largest accepted request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number | undefined
}

/** The route's handler (needs `Engine` and `Lifecycle` to build). */
export const embeddings = Effect.fnUntraced(function* (options: EmbeddingsOptions) {
  const engine = yield* Engine
  const lifecycle = yield* Lifecycle
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (lifecycle.draining) return yield* new GatewayError({ reason: new ShuttingDown() })
    const principal = yield* authenticate(options.auth, request.headers.authorization)
    const raw = yield* readJsonText(request, maxBodyBytes)
    const body = yield* decodeEmbeddingsBody(raw.json)
    const texts = yield* inputTexts(body.input)
    const idempotencyKey = yield* idempotencyKeyOf(request)
    const deadlineMs = yield* deadlineOf(request)
    const decoded = yield* decodeEmbeddingRequest(
      toEmbeddingRequest(body, texts, { workspaceId: principal.workspaceId, idempotencyKey, deadlineMs })
    ).pipe(Effect.mapError(GatewayError.engine))
    // An `openai`/`openai-compatible` upstream gets the client's own JSON (unknown fields kept).
    const embeddingRequest: EmbeddingRequest = {
      ...decoded,
      passthrough: { wire: "openai.embeddings", body: Redacted.make(raw.text), input: decoded.input }
    }
    const format = body.encoding_format ?? "float"
    return yield* lifecycle.track(principal, idempotencyKey, () =>
      Effect.map(engine.embed(embeddingRequest).pipe(Effect.mapError(GatewayError.engine)), (answer) => {
        const r = answer.resilience
        return HttpServerResponse.jsonUnsafe(toEmbeddingsResponse(answer, format), {
          headers: amHeaders({
            requestId: r.requestId,
            provider: r.provider,
            model: r.model,
            attempts: calls(r.attempts),
            outcome: r.outcome
          })
        })
      })
    )
  })
})
