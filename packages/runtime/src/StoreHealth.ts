/**
 * What the host knows about its stores, without asking them: every store component (`store:ledger`,
 * `store:runs`, `store:events`, `store:state`) registers a probe that reads the state the store
 * wrappers keep (connected or not, the circuit, what is spooled), so `/readyz` answers at once
 * whatever the stores do.
 *
 * - `up`: connected, circuit closed, nothing spooled.
 * - `degraded`: serving on the fallback — spooling (ledger, runs, events) or on local state
 *   (Redis); `state` says why (`connecting`, `circuit_open`, `half_open`, `spooling`).
 * - `down`: a spool is over its bound (`ledger.spoolLimit`): the replica should leave the load
 *   balancer until it has caught up (nothing is dropped meanwhile).
 *
 * @example
 * ```ts
 * import { StoreHealth } from "@am/runtime"
 * import { Effect } from "effect"
 * const components = Effect.flatMap(Effect.service(StoreHealth), (h) => h.components)
 * ```
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"

export type StoreStatus = "up" | "degraded" | "down"

export interface StoreComponent {
  readonly status: StoreStatus
  /** `connected`, `connecting`, `circuit_open`, `half_open`, `spooling`, `over_bound`, `local_state`. */
  readonly state: string
  readonly detail?: string
  /** Records held locally until the store takes them. */
  readonly spooled?: number
}

export interface StoreHealthShape {
  /** Adds (or replaces) the probe of a component; it gets what the component's spools hold. */
  readonly register: (
    component: string,
    probe: (spooled: number) => Effect.Effect<StoreComponent>
  ) => Effect.Effect<void>
  /** Adds a spool to a component (the ledger's file, the run journal, held events). */
  readonly addSpool: (component: string, size: () => number) => Effect.Effect<void>
  /** Every registered component's state, by name. */
  readonly components: Effect.Effect<Record<string, StoreComponent>>
}

export class StoreHealth extends Context.Service<StoreHealth, StoreHealthShape>()("@am/runtime/StoreHealth") {
  /** An empty registry; the store layers register their components in it. */
  static readonly layer: Layer.Layer<StoreHealth> = Layer.sync(StoreHealth, () => {
    const probes = new Map<string, (spooled: number) => Effect.Effect<StoreComponent>>()
    const spools = new Map<string, Array<() => number>>()
    const spooled = (component: string) => (spools.get(component) ?? []).reduce((n, size) => n + size(), 0)
    return StoreHealth.of({
      register: (component, probe) => Effect.sync(() => void probes.set(component, probe)),
      addSpool: (component, size) =>
        Effect.sync(() => void spools.set(component, [...(spools.get(component) ?? []), size])),
      components: Effect.suspend(() =>
        Effect.map(
          Effect.forEach([...probes], ([name, probe]) => Effect.map(probe(spooled(name)), (c) => [name, c] as const)),
          (entries) => Object.fromEntries(entries)
        )
      )
    })
  })
}

/**
 * A component's state from its connection, circuit and spool (a pure rule, shared by every store).
 *
 * @example
 * ```ts
 * import { componentState } from "@am/runtime"
 * componentState({ connected: true, circuit: "closed", spooled: 0, limit: 1000 }) // { status: "up", state: "connected" }
 * ```
 */
export const componentState = (input: {
  readonly connected: boolean
  readonly circuit: "closed" | "open" | "half_open"
  readonly spooled: number
  readonly limit: number
  readonly lastError?: string | undefined
}): StoreComponent => {
  const spooled = input.spooled > 0 ? { spooled: input.spooled } : {}
  const detail = input.lastError !== undefined ? { detail: input.lastError } : {}
  if (input.spooled > input.limit) {
    return {
      status: "down",
      state: "over_bound",
      detail: `spool over its bound (${input.spooled} > ${input.limit})`,
      ...spooled
    }
  }
  if (!input.connected) return { status: "degraded", state: "connecting", ...detail, ...spooled }
  if (input.circuit === "open") return { status: "degraded", state: "circuit_open", ...detail, ...spooled }
  if (input.circuit === "half_open") return { status: "degraded", state: "half_open", ...detail, ...spooled }
  if (input.spooled > 0) return { status: "degraded", state: "spooling", ...spooled }
  return { status: "up", state: "connected" }
}
