/**
 * The `Provider` interface every adapter implements, and the registry the engine looks
 * providers up in. Adapters do no routing and no retries: one call, one answer or one
 * `ProviderFailure`.
 *
 * @example
 * ```ts
 * import { ProviderRegistry, type Provider } from "@am/core"
 * import { Effect } from "effect"
 * declare const openai: Provider
 * const layer = ProviderRegistry.layerFromProviders([openai])
 * const program = ProviderRegistry.use((r) => r.get("primary"))
 * ```
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import type { Stream } from "effect"
import type { ApiKey } from "./ApiKey.ts"
import type { Completion, CompletionChunk } from "./Completion.ts"
import type { CompletionRequest } from "./CompletionRequest.ts"
import type { EmbeddingCall, Embeddings } from "./Embedding.ts"
import type { ProviderFailure } from "./ProviderFailure.ts"

export const ProviderKind = Schema.Literals(["openai", "anthropic", "gemini", "openai-compatible"])
export type ProviderKind = typeof ProviderKind.Type

/** One call to one model with one key. */
export interface ProviderCall {
  readonly request: CompletionRequest
  /** The concrete model to call (the engine resolved routes and aliases). */
  readonly model: string
  readonly key: ApiKey
  /** Time allowed for this attempt; the adapter fails with `kind: "timeout"` after it. */
  readonly timeoutMs?: number
  /** Called once per unparsable stream event the adapter skipped on this call (the engine counts them per request). */
  readonly onMalformedEvent?: () => void
}

export interface Provider {
  /** The configured provider id (`primary`). */
  readonly id: string
  readonly kind: ProviderKind
  readonly complete: (call: ProviderCall) => Effect.Effect<Completion, ProviderFailure>
  readonly stream: (call: ProviderCall) => Stream.Stream<CompletionChunk, ProviderFailure>
  /**
   * Embeds texts with one model and one key. Optional: a provider without embeddings (Anthropic)
   * leaves it out, and the engine skips its candidates by capability.
   */
  readonly embed?: (call: EmbeddingCall) => Effect.Effect<Embeddings, ProviderFailure>
}

export class ProviderNotFound extends Schema.TaggedError<ProviderNotFound>()("ProviderNotFound", {
  providerId: Schema.String
}) {}

export interface ProviderRegistryShape {
  readonly get: (id: string) => Effect.Effect<Provider, ProviderNotFound>
  readonly all: ReadonlyArray<Provider>
}

/** The providers the engine can call, by configured id. */
export class ProviderRegistry extends Context.Service<ProviderRegistry, ProviderRegistryShape>()(
  "@am/core/ProviderRegistry"
) {
  static readonly make = (providers: ReadonlyArray<Provider>): ProviderRegistryShape => {
    const byId = new Map(providers.map((p) => [p.id, p] as const))
    return {
      all: providers,
      get: Effect.fn("ProviderRegistry.get")(function* (id: string) {
        const provider = byId.get(id)
        if (provider === undefined) return yield* new ProviderNotFound({ providerId: id })
        return provider
      })
    }
  }
  static readonly layerFromProviders = (providers: ReadonlyArray<Provider>) =>
    Layer.succeed(ProviderRegistry, ProviderRegistry.make(providers))
}
