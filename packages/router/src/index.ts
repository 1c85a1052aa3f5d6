/**
 * `@am/router` — the injectable `Router` service: a request becomes an ordered plan of
 * (provider, model) candidates. A capability matrix (tools, JSON, vision, audio, files,
 * streaming, reasoning, embeddings, prefill, context window, max output) excludes what cannot
 * serve the request and names the config field that would; a built-in, dated model catalogue
 * fills what the config leaves out; profiles (`priority`, `cheapest`, `fastest`), weighted
 * seeded balancing and per-request overrides order the rest; the plan explains itself for the ledger.
 *
 * @since 0.1.0
 */
export * from "./Capability.ts"
export * as Catalogue from "./Catalogue.ts"
export * from "./Exclusion.ts"
export * from "./Plan.ts"
export * from "./Router.ts"
export * from "./RouterError.ts"
export * from "./RouteHints.ts"
export * from "./RoutePlan.ts"
export * from "./RoutingTable.ts"
export * from "./TokenEstimate.ts"
export * from "./RouterSchema.ts"
