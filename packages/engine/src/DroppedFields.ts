/**
 * What a request asked for that the provider which answered it could not honour (a cross-wire
 * adapter has no place for it): the host's answer, read by the engine when a request succeeds,
 * so the same list reaches `resilience.droppedFields` (the library's report) and the request's
 * ledger entry (`droppedFields`). The engine knows no adapter, so the default lists nothing;
 * `@am/runtime` provides the adapters' tables (`unhonouredFieldsOf`), the gateway its wire
 * paths (`tools.0.function.strict`, `temperature`, …) — the values of `x-am-dropped-fields`.
 *
 * @example
 * ```ts
 * import { DroppedFields } from "@am/engine"
 * import { Layer } from "effect"
 * const layer = Layer.succeed(DroppedFields, (request, providerId) => (request.user !== undefined ? ["user"] : []))
 * ```
 * @since 0.1.0
 */
import type { CompletionRequest } from "@am/core"
import { Context } from "effect"

/** `(request, providerId) → the fields that provider could not honour` (empty: none). */
export type DroppedFieldsOf = (request: CompletionRequest, providerId: string) => ReadonlyArray<string>

/** The host's {@link DroppedFieldsOf}; by default nothing is dropped (the engine knows no adapter). */
export const DroppedFields = Context.Reference<DroppedFieldsOf>("@am/engine/DroppedFields", {
  defaultValue: () => () => []
})
