/**
 * The routing policy as one pure function: `(table, request, health) → plan | error`. The
 * request's route (or a concrete model name: every provider that lists it, in provider order)
 * becomes its candidates in route order; the per-request overrides narrow them and pick the
 * profile; the capability matrix excludes what cannot serve the request; quarantined models are
 * skipped; the rest is ordered by the profile, ties drawn by weight from the request id, open
 * circuits and keyless candidates last. Same table, input and snapshot → same plan.
 *
 * @example
 * ```ts
 * import { planRequest } from "@am/router"
 * import { Result } from "effect"
 * const table = {
 *   providers: new Map([["primary", { id: "primary", kind: "openai" as const, models: new Map([["gpt-4o", { name: "gpt-4o" }]]) }]]),
 *   routes: new Map([["default", [{ provider: "primary", models: ["gpt-4o"] }]]])
 * }
 * const plan = planRequest(table, { requestId: "req-1", request: { messages: [{ role: "user", content: "hi" }] } })
 * Result.isSuccess(plan) && plan.success.candidates[0]?.model.name // "gpt-4o"
 * ```
 * @since 0.1.0
 */
import { Result } from "effect"
import { requirementsOf } from "./Capability.ts"
import * as Catalogue from "./Catalogue.ts"
import { describeExclusion, type Exclusion } from "./Exclusion.ts"
import { exclusionOf, resolveModel } from "./internal/Matrix.ts"
import { type Draft, orderCandidates } from "./internal/Order.ts"
import { readOverrides } from "./internal/Override.ts"
import { weightedOrder } from "./internal/Seeded.ts"
import { AllUnavailable, InvalidOverride, NoCapableCandidate, RouterError, UnknownRoute } from "./RouterError.ts"
import {
  EXPECTED_OUTPUT_TOKENS,
  type PlanExplanation,
  type PlanInput,
  type ResolvedModel,
  type RoutePlan,
  type SkippedCandidate
} from "./RoutePlan.ts"
import {
  type HealthSnapshot,
  policyOf,
  type RouteEntry,
  type RouterProvider,
  type RouteStep,
  type RoutingTable,
  stepsOf
} from "./RoutingTable.ts"
import { estimateLongestInputTokens, estimatePromptTokens } from "./TokenEstimate.ts"

const fail = (reason: RouterError["reason"]) => Result.fail(new RouterError({ reason }))

const metadataProfile = (input: PlanInput): string | undefined => {
  const p = input.request.metadata?.["profile"]
  return typeof p === "string" ? p : undefined
}

/** The route a request names: its `route`, else its `model`, else `default`. */
export const routeNameOf = (input: PlanInput): string => input.request.route ?? input.request.model ?? "default"

const weightOf = (step: RouteStep, model: string): number | undefined =>
  typeof step.weight === "number" ? step.weight : step.weight?.[model]

// The key ids of a provider with at most one key, built once per provider object.
const keyIds = new WeakMap<RouterProvider, ReadonlyArray<string>>()
const idsOf = (provider: RouterProvider): ReadonlyArray<string> => {
  let ids = keyIds.get(provider)
  if (ids === undefined) {
    ids = (provider.keys ?? []).map((k) => k.id)
    keyIds.set(provider, ids)
  }
  return ids
}

const keyUsable = (health: HealthSnapshot | undefined, provider: string, model: string) => {
  const keys = health?.keys?.filter((k) => k.provider === provider)
  if (keys === undefined || keys.length === 0) return () => true
  const usable = new Set(
    keys
      .filter((k) => {
        if (k.status === "healthy") return true
        if (k.status !== "cooling") return false
        if (k.coolingModels?.[model] !== undefined) return false
        // Cooling with no model cool-down that explains its `availableAt`: cooling key-wide.
        const modelUntil = Math.max(0, ...Object.values(k.coolingModels ?? {}))
        return k.availableAt === undefined || k.availableAt <= modelUntil
      })
      .map((k) => k.id)
  )
  return (key: { readonly id: string }) => usable.has(key.id)
}

const circuitOpen = (health: HealthSnapshot | undefined, provider: string, model: string): boolean =>
  health?.circuits?.some(
    (c) => c.status === "open" && c.provider === provider && (c.model === undefined || c.model === model)
  ) ?? false

/** The steps of `name`: the route's, or every provider that lists the model `name`. */
const stepsFor = (
  table: RoutingTable,
  name: string
): { entry: RouteEntry | undefined; steps: ReadonlyArray<RouteStep> } => {
  const entry = table.routes.get(name)
  if (entry !== undefined) return { entry, steps: stepsOf(entry) }
  const steps = [...table.providers.values()]
    .filter((p) => p.models.has(name))
    .map((p) => ({ provider: p.id, models: [name] }))
  return { entry: undefined, steps }
}

// A model's resolution depends on the table only: computed once per (table, provider, model).
const resolved = new WeakMap<RoutingTable, Map<RouterProvider, Map<string, ResolvedModel>>>()
const resolvedModel = (table: RoutingTable, catalogue: Catalogue.Catalogue, provider: RouterProvider, name: string) => {
  let byProvider = resolved.get(table)
  if (byProvider === undefined) {
    byProvider = new Map()
    resolved.set(table, byProvider)
  }
  let byName = byProvider.get(provider)
  if (byName === undefined) {
    byName = new Map()
    byProvider.set(provider, byName)
  }
  let model = byName.get(name)
  if (model === undefined) {
    model = resolveModel(catalogue, provider.kind, name, provider.models.get(name))
    byName.set(name, model)
  }
  return model
}

/**
 * A plan whose explanation is built on first read. A class, not an object literal with a
 * getter: V8 gives each such literal a map of its own, allocated in old space, which kept the
 * getter's closure — the whole planning scope — alive through the next scavenge.
 */
class Plan implements RoutePlan {
  readonly route: string
  readonly profile: RoutePlan["profile"]
  readonly candidates: RoutePlan["candidates"]
  readonly excluded: RoutePlan["excluded"]
  readonly skipped: RoutePlan["skipped"]
  readonly estimatedInputTokens: number
  #explanation: PlanExplanation | undefined
  readonly #explain: () => PlanExplanation
  // No parameter properties: sources run under Node's type stripping in benchmarks.
  constructor(
    route: string,
    profile: RoutePlan["profile"],
    candidates: RoutePlan["candidates"],
    excluded: RoutePlan["excluded"],
    skipped: RoutePlan["skipped"],
    estimatedInputTokens: number,
    explain: () => PlanExplanation
  ) {
    this.route = route
    this.profile = profile
    this.candidates = candidates
    this.excluded = excluded
    this.skipped = skipped
    this.estimatedInputTokens = estimatedInputTokens
    this.#explain = explain
  }
  get explanation(): PlanExplanation {
    this.#explanation ??= this.#explain()
    return this.#explanation
  }
}

/** Plans `input` over `table` (see the module comment). */
export const planRequest = (table: RoutingTable, input: PlanInput): Result.Result<RoutePlan, RouterError> => {
  const catalogue = table.catalogue ?? Catalogue.builtin
  const route = routeNameOf(input)
  const { entry, steps } = stepsFor(table, route)
  if (steps.length === 0) return fail(new UnknownRoute({ route }))
  const policy = entry === undefined ? { profile: "priority" as const, overrides: {} } : policyOf(entry)
  const overrides = readOverrides(
    policy.profile,
    policy.overrides,
    steps,
    input.override,
    input.profile ?? metadataProfile(input)
  )
  if (overrides instanceof InvalidOverride) return fail(overrides)
  const { profile, pin } = overrides

  const needs = requirementsOf(input)
  const estimatedInputTokens = estimatePromptTokens(input.request)
  // An embedding model's window bounds each input, not the batch.
  const contextTokens = input.kind === "embedding" ? estimateLongestInputTokens(input.request) : estimatedInputTokens
  const expectedOutput = input.request.maxTokens ?? EXPECTED_OUTPUT_TOKENS
  const health = input.health
  const excluded: Array<Exclusion> = []
  const skipped: Array<SkippedCandidate> = []
  const drafts: Array<Draft> = []
  let routeIndex = 0
  for (const step of steps) {
    const provider: RouterProvider | undefined = table.providers.get(step.provider)
    for (const name of step.models) {
      const position = routeIndex++
      // A step naming an unknown provider is a config error `validateTable` reports at start.
      if (provider === undefined) continue
      if (pin?.provider !== undefined && pin.provider !== provider.id) continue
      if (pin?.model !== undefined && pin.model !== name) continue
      const model = resolvedModel(table, catalogue, provider, name)
      const exclusion = exclusionOf(provider.id, provider.kind, model, needs, contextTokens)
      if (exclusion !== undefined) {
        excluded.push(exclusion)
        continue
      }
      if (health?.unavailableModels?.has(`${provider.id}/${name}`)) {
        skipped.push({ provider: provider.id, model: name, reason: "model_unavailable" })
        continue
      }
      const configured = provider.keys ?? []
      // Without key health every configured key is usable: the ids are the provider's own (no
      // filter, no closure, no copy per request).
      const usable =
        configured.length === 0 || health?.keys === undefined || health.keys.length === 0
          ? configured
          : configured.filter(keyUsable(health, provider.id, name))
      const keys =
        usable === configured && usable.length <= 1
          ? idsOf(provider)
          : usable.length <= 1
            ? usable.map((k) => k.id)
            : weightedOrder(
                `${input.requestId}/${provider.id}/${name}`,
                usable,
                (k) => k.id,
                (k) => k.weight ?? 1
              ).map((k) => k.id)
      const weight = weightOf(step, name)
      const latencyMs = health?.latencyMs === undefined ? undefined : health.latencyMs.get(`${provider.id}/${name}`)
      const demoted =
        health?.circuits !== undefined && circuitOpen(health, provider.id, name)
          ? ("circuit_open" as const)
          : configured.length > 0 && keys.length === 0
            ? ("no_available_key" as const)
            : undefined
      // Optional fields set only when present (exactOptionalPropertyTypes), without a spread each.
      const draft: { -readonly [K in keyof Draft]: Draft[K] } = {
        routeIndex: position,
        provider: provider.id,
        kind: provider.kind,
        model,
        keys
      }
      if (weight !== undefined) draft.weight = weight
      if (model.price !== undefined) {
        draft.estimatedCostUsd =
          (estimatedInputTokens * model.price.input + expectedOutput * model.price.output) / 1_000_000
      }
      if (latencyMs !== undefined) draft.latencyMs = latencyMs
      if (demoted !== undefined) draft.demoted = demoted
      drafts.push(draft)
    }
  }
  if (drafts.length === 0 && skipped.length === 0) return fail(new NoCapableCandidate({ route, exclusions: excluded }))
  if (drafts.length === 0) {
    return fail(new AllUnavailable({ route, models: skipped.map((s) => `${s.provider}/${s.model}`) }))
  }
  const { candidates, why } = orderCandidates(profile, input.requestId, drafts)
  // The explanation is for the ledger and operators, not for the call: built when first read,
  // so the happy path does not format strings nobody reads (measured in ./am bench engine).
  const plan = new Plan(route, profile, candidates, excluded, skipped, estimatedInputTokens, () => ({
    route,
    profile,
    profileSource: overrides.profileSource,
    ...(pin !== undefined ? { pinned: pin } : {}),
    seed: input.requestId,
    needs: needs.capabilities,
    estimatedInputTokens,
    order: candidates.map((c, i) => ({ provider: c.provider, model: c.model.name, why: why()[i]! })),
    excluded: excluded.map(describeExclusion),
    skipped: skipped.map((s) => `${s.provider}/${s.model}: model unavailable (quarantined)`)
  }))
  return Result.succeed(plan)
}

/**
 * What is wrong with a table, as `{ path, issue }` (empty when nothing): a route step naming an
 * unknown provider, or a non-positive weight. The config schema checks the same; a table built
 * in code is checked by `Router.layer`.
 */
export const validateTable = (
  table: RoutingTable
): ReadonlyArray<{ readonly path: string; readonly issue: string }> => {
  const issues: Array<{ path: string; issue: string }> = []
  for (const [name, entry] of table.routes) {
    stepsOf(entry).forEach((step, i) => {
      const at = `routes.${name}[${i}]`
      if (!table.providers.has(step.provider))
        issues.push({ path: `${at}.provider`, issue: `unknown provider "${step.provider}"` })
      const weights = typeof step.weight === "number" ? [step.weight] : Object.values(step.weight ?? {})
      if (weights.some((w) => !(Number.isFinite(w) && w > 0)))
        issues.push({ path: `${at}.weight`, issue: "weights must be > 0" })
      if (typeof step.weight === "object") {
        for (const m of Object.keys(step.weight)) {
          if (!step.models.includes(m))
            issues.push({ path: `${at}.weight.${m}`, issue: `"${m}" is not a model of this step` })
        }
      }
    })
  }
  return issues
}
