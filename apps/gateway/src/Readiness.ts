/**
 * `GET /readyz`: per-component status from state the process already holds — never a paid
 * completion (seed `003_…` Phase 4), never a store round-trip, so it answers at once whatever
 * the stores do (and within `READINESS_BOUND_MS` in any case).
 *
 * - `provider:<id>`: its circuit (closed = up, half-open = degraded, open = down);
 * - `store:ledger`, `store:runs`, `store:events`, `store:state`: from `StoreHealth` — `up`,
 *   `degraded` while serving on a fallback (spooling, local state; `state` says which), `down`
 *   only when a spool is over its bound;
 * - `gateway`: draining or not.
 *
 * A load balancer should keep a replica while it can answer: **ready (200) unless** it is
 * draining, has no provider configured, or a spool is over its bound (`503`, same body). A
 * replica spooling through a store outage is `200 degraded`: it answers every request, and
 * taking every replica out for a store outage would turn it into a full one. All providers'
 * circuits open is `200 degraded` too — the circuits are shared, so no other replica would do
 * better, and half-open probes need traffic.
 *
 * @example
 * ```ts
 * import { readiness } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Breakers } from "@am/breaker"
import { Engine } from "@am/engine"
import { StoreHealth } from "@am/runtime"
import { Duration, Effect, Option } from "effect"
import { HttpServerResponse } from "effect/http"
import { Lifecycle } from "./Lifecycle.ts"

export type ComponentStatus = "up" | "degraded" | "down"

export interface Component {
  readonly status: ComponentStatus
  readonly state?: string
  readonly detail?: string
  readonly spooled?: number
}

/** Longest `/readyz` takes to answer (it reads local state only; this bounds a surprise). */
export const READINESS_BOUND_MS = 1000

/** The readiness verdict from the components (pure). */
export const verdict = (
  components: Readonly<Record<string, Component>>,
  draining: boolean,
  providers: number
): { readonly ready: boolean; readonly status: "ready" | "degraded" | "unready" } => {
  const overBound = Object.entries(components).some(([k, c]) => k.startsWith("store:") && c.status === "down")
  const ready = !draining && providers > 0 && !overBound
  const degraded = Object.values(components).some((c) => c.status !== "up")
  return { ready, status: ready ? (degraded ? "degraded" : "ready") : "unready" }
}

const componentsNow = Effect.gen(function* () {
  const engine = yield* Engine
  const breakers = yield* Breakers
  const lifecycle = yield* Lifecycle
  // Required, not optional: a route sees only the services its type asks for (an optional lookup
  // found nothing, so store components never appeared).
  const health = yield* StoreHealth
  const snapshot = yield* breakers.snapshot
  const components: Record<string, Component> = {}
  for (const p of engine.config.providers.values()) {
    const circuit = snapshot.find((s) => s.provider === p.id && s.model === undefined)
    const status = circuit?.status ?? "closed"
    const models = snapshot.filter((s) => s.provider === p.id && s.model !== undefined && s.status === "open")
    components[`provider:${p.id}`] =
      status === "open"
        ? { status: "down", detail: "circuit open" }
        : status === "half_open"
          ? { status: "degraded", detail: "circuit half-open (probing)" }
          : models.length > 0
            ? { status: "degraded", detail: `open model circuits: ${models.map((m) => m.model).join(", ")}` }
            : { status: "up" }
  }
  Object.assign(components, yield* health.components)
  components.gateway = lifecycle.draining ? { status: "down", detail: "draining" } : { status: "up" }
  return { components, draining: lifecycle.draining, providers: engine.config.providers.size }
})

export const readiness = Effect.gen(function* () {
  const lifecycle = yield* Lifecycle
  const now = yield* componentsNow.pipe(Effect.timeoutOption(Duration.millis(READINESS_BOUND_MS)))
  if (Option.isNone(now)) {
    // Local state did not answer in time (a bug or a blocked dependency): say so, don't hang.
    const components = { gateway: { status: "degraded", detail: "readiness state did not answer in time" } }
    const ready = !lifecycle.draining
    return HttpServerResponse.jsonUnsafe(
      { status: ready ? "degraded" : "unready", components },
      { status: ready ? 200 : 503 }
    )
  }
  const { ready, status } = verdict(now.value.components, now.value.draining, now.value.providers)
  return HttpServerResponse.jsonUnsafe({ status, components: now.value.components }, { status: ready ? 200 : 503 })
})
