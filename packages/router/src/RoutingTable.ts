/**
 * What the router plans over: providers and their models as configured, routes (today's list of
 * steps, or a route object with a profile, weights and what a request may override), the
 * catalogue — and, per request, the health snapshot. The shapes are structural supersets of the
 * engine's `ProviderSpec`/`ModelSpec`/`RouteSpec`, so `EngineConfig.providers` and
 * `EngineConfig.routes` can be passed as they are; `BreakerSnapshot`s, `KeySnapshot`s and
 * `ModelHealth.unavailable` fit the snapshot's fields as they are.
 *
 * @example
 * ```ts
 * import type { RoutingTable } from "@am/router"
 * const table: RoutingTable = {
 *   providers: new Map([
 *     ["primary", { id: "primary", kind: "openai", models: new Map([["gpt-4o", { name: "gpt-4o" }], ["gpt-4o-mini", { name: "gpt-4o-mini" }]]) }],
 *     ["backup", { id: "backup", kind: "anthropic", models: new Map([["claude-haiku-4-5", { name: "claude-haiku-4-5" }]]) }]
 *   ]),
 *   routes: new Map([
 *     ["default", [{ provider: "primary", models: ["gpt-4o", "gpt-4o-mini"] }, { provider: "backup", models: ["claude-haiku-4-5"] }]],
 *     ["cheap", { profile: "cheapest", steps: [{ provider: "primary", models: ["gpt-4o", "gpt-4o-mini"] }, { provider: "backup", models: ["claude-haiku-4-5"] }] }]
 *   ])
 * }
 * ```
 * @since 0.1.0
 */
import type { ProviderKind } from "@am/core"
import type { Capability } from "./Capability.ts"
import type { Catalogue, Price } from "./Catalogue.ts"

/**
 * How a route orders its candidates: `priority` in route order (today's behaviour), `cheapest`
 * by the estimated cost of this request from the price table, `fastest` by observed latency.
 */
export type Profile = "priority" | "cheapest" | "fastest"

export const PROFILES: ReadonlyArray<Profile> = ["priority", "cheapest", "fastest"]

/** A model as configured; every field but `name` falls back to the catalogue, then to `UNKNOWN_MODEL`. */
export interface RouterModel {
  readonly name: string
  readonly contextWindow?: number
  readonly maxOutput?: number
  readonly capabilities?: ReadonlySet<Capability> | ReadonlyArray<Capability>
  readonly dimensions?: number
  readonly price?: Price
}

/** A provider as configured. `keys` (ids and weights) are only read for the key order. */
export interface RouterProvider {
  readonly id: string
  readonly kind: ProviderKind
  readonly models: ReadonlyMap<string, RouterModel>
  readonly keys?: ReadonlyArray<{ readonly id: string; readonly weight?: number }>
}

/**
 * One step of a route. `weight` makes its candidates balanced: a number for every model of the
 * step, or a weight per model name. Consecutive weighted candidates form one tier whose order is
 * drawn per request in proportion to the weights (seeded by the request id).
 */
export interface RouteStep {
  readonly provider: string
  readonly models: ReadonlyArray<string>
  readonly weight?: number | Readonly<Record<string, number>>
}

/** What a request may change of a route: the profiles it may ask for, and whether it may pin a provider/model of the route. */
export interface RouteOverrides {
  readonly profiles?: ReadonlyArray<Profile>
  readonly pin?: boolean
}

/** A route with a policy. `overrides: false` forbids every per-request override. */
export interface RouteConfig {
  readonly steps: ReadonlyArray<RouteStep>
  /** Default `priority`. */
  readonly profile?: Profile
  /** Default: every profile, pinning allowed. */
  readonly overrides?: RouteOverrides | false
}

/** A route: today's list of steps (a `priority` route that allows every override), or a `RouteConfig`. */
export type RouteEntry = ReadonlyArray<RouteStep> | RouteConfig

export interface RoutingTable {
  readonly providers: ReadonlyMap<string, RouterProvider>
  readonly routes: ReadonlyMap<string, RouteEntry>
  /** Default: the built-in catalogue. */
  readonly catalogue?: Catalogue
}

/** Anything that answers `has` (a `Set`, or `ModelHealth.unavailable`'s `Map`). */
export interface Keyed {
  has(key: string): boolean
}

/** A circuit's state (the breaker's `BreakerSnapshot` fits). */
export interface CircuitHealth {
  readonly provider: string
  readonly model?: string
  readonly status: string
}

/** A key's state (the keyring's `KeySnapshot` fits). */
export interface KeyHealth {
  readonly provider: string
  readonly id: string
  readonly status: string
  /** Epoch ms the key is usable for every model again. */
  readonly availableAt?: number
  /** Models the key is rate-limited on, to the epoch ms each cool-down ends. */
  readonly coolingModels?: Readonly<Record<string, number>>
}

/**
 * The state a plan is computed from, read by the caller just before planning. Every field is
 * optional: absent means "nothing known", which plans like a healthy system.
 */
export interface HealthSnapshot {
  /** Circuits; `open` ones demote their candidates to the end of the plan. */
  readonly circuits?: ReadonlyArray<CircuitHealth>
  /** `provider/model` keys of models quarantined as unavailable: skipped (as the engine does today). */
  readonly unavailableModels?: Keyed
  /** Keys; a candidate none of whose keys can serve its model now is demoted to the end. */
  readonly keys?: ReadonlyArray<KeyHealth>
  /** Observed latency per `provider/model`, in ms (what `fastest` orders by). */
  readonly latencyMs?: ReadonlyMap<string, number>
}

/** The steps of a route entry. */
export const stepsOf = (route: RouteEntry): ReadonlyArray<RouteStep> =>
  Array.isArray(route) ? (route as ReadonlyArray<RouteStep>) : (route as RouteConfig).steps

/** The policy of a route entry (a plain list is `priority` with every override allowed). */
export const policyOf = (
  route: RouteEntry
): { readonly profile: Profile; readonly overrides: RouteOverrides | false } =>
  Array.isArray(route)
    ? { profile: "priority", overrides: {} }
    : { profile: (route as RouteConfig).profile ?? "priority", overrides: (route as RouteConfig).overrides ?? {} }
