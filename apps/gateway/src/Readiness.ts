/**
 * `GET /readyz`: per-component status derived from live traffic and cheap checks — never a
 * paid completion (seed `003_…` Phase 4). Providers: their circuit breakers (closed = up,
 * half-open = degraded, open = down); the ledger store: reading its head; the Redis state store (when configured): PING; the gateway itself:
 * draining or not. Ready (200) while at least one provider can take traffic and the stores
 * answer; otherwise 503 with the same body.
 *
 * @example
 * ```ts
 * import { readiness } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Breakers } from "@am/breaker"
import { LedgerStore } from "@am/core"
import { Engine } from "@am/engine"
import { Clock, Duration, Effect, Option } from "effect"
import { HttpServerResponse } from "effect/http"
import { Redis } from "effect/persistence"
import { Lifecycle } from "./Lifecycle.ts"

export type ComponentStatus = "up" | "degraded" | "down"

export interface Component {
  readonly status: ComponentStatus
  readonly detail?: string
  readonly latencyMs?: number
}

const check = (probe: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const exit = yield* probe.pipe(Effect.timeout(Duration.seconds(2)), Effect.exit)
    const latencyMs = (yield* Clock.currentTimeMillis) - start
    return exit._tag === "Success"
      ? ({ status: "up", latencyMs } satisfies Component)
      : ({ status: "down", latencyMs, detail: "store did not answer" } satisfies Component)
  })

export const readiness = Effect.gen(function* () {
  const engine = yield* Engine
  const breakers = yield* Breakers
  const lifecycle = yield* Lifecycle
  const ledgerStore = yield* Effect.serviceOption(LedgerStore)
  const redis = yield* Effect.serviceOption(Redis.Redis)
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
  if (Option.isSome(ledgerStore)) components["store:ledger"] = yield* check(ledgerStore.value.head)
  if (Option.isSome(redis)) components["store:state"] = yield* check(redis.value.send("PING"))
  components.gateway = lifecycle.draining ? { status: "down", detail: "draining" } : { status: "up" }
  const providersUp = Object.entries(components).some(([k, c]) => k.startsWith("provider:") && c.status !== "down")
  const storesUp = Object.entries(components).every(([k, c]) => !k.startsWith("store:") || c.status !== "down")
  const ready = providersUp && storesUp && !lifecycle.draining
  const degraded = Object.values(components).some((c) => c.status !== "up")
  return HttpServerResponse.jsonUnsafe(
    { status: ready ? (degraded ? "degraded" : "ready") : "unready", components },
    { status: ready ? 200 : 503 }
  )
})
