/**
 * No config field is accepted and ignored (DESIGN.md, `@am/runtime`): every leaf field of the
 * config Schema — listed from its AST, so a field added later without a case here fails this
 * test — either changes the decoded `AmConfig` (and the case names where that value is
 * consumed) or is rejected at start naming the field.
 *
 * For `telemetry.otlp.*`, `ledger.*` and `state.*` the decoded value is asserted here; what they
 * do in every host is proved by the suites each case names.
 */
import type { ApiKey } from "@am/core"
import { type EngineConfig, type ProviderSpec, type RouteConfig, stepsOf } from "@am/engine"
import type { GuardConfig } from "@am/guard"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, SchemaAST } from "effect"
import { type AmConfig, AmConfigSchema, loadConfig } from "../src/index.ts"

type Segment = string | number

/** The written shape's leaf fields: `*` for a record key, `[]` for an array element. */
const leafFields = (ast: SchemaAST.AST, path: string): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "Objects":
      return [
        ...ast.propertySignatures.flatMap((p) => leafFields(p.type, join(path, String(p.name)))),
        ...ast.indexSignatures.flatMap((s) => leafFields(s.type, join(path, "*")))
      ]
    case "Arrays":
      return unique([...ast.elements, ...ast.rest].flatMap((e) => leafFields(e, `${path}[]`)))
    case "Union":
      return ast.types.some((t) => t._tag === "Objects" || t._tag === "Arrays")
        ? unique(ast.types.flatMap((t) => leafFields(t, path)))
        : [path]
    case "Suspend":
      return leafFields(ast.thunk(), path)
    default:
      return [path]
  }
}

/** The field pattern a concrete path (`providers.primary.keys.0.id`) sets (`providers.*.keys[].id`). */
const patternOf = (ast: SchemaAST.AST, at: ReadonlyArray<Segment>, path = ""): string | undefined => {
  if (at.length === 0) return path
  const [head, ...rest] = at as [Segment, ...Array<Segment>]
  switch (ast._tag) {
    case "Objects": {
      const property = ast.propertySignatures.find((p) => p.name === head)
      if (property !== undefined) return patternOf(property.type, rest, join(path, String(head)))
      const index = ast.indexSignatures[0]
      return index !== undefined ? patternOf(index.type, rest, join(path, "*")) : undefined
    }
    case "Arrays": {
      const element = ast.rest[0] ?? ast.elements[0]
      return typeof head === "number" && element !== undefined ? patternOf(element, rest, `${path}[]`) : undefined
    }
    case "Union":
      for (const member of ast.types) {
        const found = patternOf(member, at, path)
        if (found !== undefined) return found
      }
      return undefined
    default:
      return undefined
  }
}

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`)
const unique = (xs: ReadonlyArray<string>) => [...new Set(xs)]

const written = SchemaAST.toEncoded(AmConfigSchema.ast)
const FIELDS = leafFields(written, "")

const env = { KEY_1: "sk-env-1" }

/** A valid config every case changes one field of. */
const baseline = (): Record<string, any> => ({
  providers: {
    primary: {
      kind: "openai",
      baseURL: "http://127.0.0.1:9101/v1",
      keys: [
        { id: "k1", secret: "env:KEY_1" },
        { id: "k2", secret: "sk-literal-2" }
      ],
      models: [{ name: "gpt-4o" }, { name: "gpt-4o-mini" }]
    },
    backup: { kind: "anthropic", keys: [{ id: "a1", secret: "sk-ant" }], models: [{ name: "claude-sonnet-4-5" }] }
  },
  routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
  mitigation: { rewriter: { provider: "primary", model: "gpt-4o-mini" } }
})

type Setting = readonly [at: ReadonlyArray<Segment>, value: unknown]

interface TakesEffect {
  /** The field under test (first) and any fields it needs to be valid. */
  readonly set: ReadonlyArray<Setting>
  readonly read: (config: AmConfig) => unknown
  readonly expected: unknown
  /** Where the decoded value is consumed (or, for the fields being wired elsewhere, that it is not yet). */
  readonly consumedBy: string
}
interface IsRejected {
  readonly set: ReadonlyArray<Setting>
  readonly rejectedAt: string
  readonly message: string
}
type Case = TakesEffect | IsRejected

const provider = (c: AmConfig, id = "primary") => c.providers.get(id)!
const model = (c: AmConfig, name: string) => provider(c).models.get(name)!
const key = (c: AmConfig, i: number) => provider(c).keys[i]!
const P = ["providers", "primary"] as const
/** The route object a case writes under `routes.obj` (absent in the baseline). */
const routeObj = (c: AmConfig) => {
  const r = c.routes.get("obj")
  return r === undefined || Array.isArray(r) ? undefined : (r as RouteConfig)
}
/** Sets a first gateway key, `field` first (the field under test), the others as what it needs. */
const gatewayKey = (field: string, entry: Record<string, string>): ReadonlyArray<Setting> => [
  [["gatewayKeys", 0, field], entry[field]],
  ...Object.entries(entry)
    .filter(([k]) => k !== field)
    .map(([k, v]): Setting => [["gatewayKeys", 0, k], v])
]

const cases: Record<string, Case> = {
  "server.host": {
    set: [[["server", "host"], "0.0.0.0"]],
    read: (c) => c.server.host,
    expected: "0.0.0.0",
    consumedBy: "apps/gateway Gateway.serve: the listening host (non-loopback needs gatewayKeys)"
  },
  "server.port": {
    set: [[["server", "port"], 8080]],
    read: (c) => c.server.port,
    expected: 8080,
    consumedBy: "apps/gateway Gateway.serve: the listening port"
  },
  "server.headersTimeout": {
    set: [[["server", "headersTimeout"], "5 seconds"]],
    read: (c) => c.server.headersTimeoutMs,
    expected: 5000,
    consumedBy: "apps/gateway Gateway.layer: node:http headersTimeout (HostileInputBounds.test.ts)"
  },
  "server.bodyTimeout": {
    set: [[["server", "bodyTimeout"], "7 seconds"]],
    read: (c) => c.server.bodyTimeoutMs,
    expected: 7000,
    consumedBy: "apps/gateway Gateway.layer: node:http requestTimeout (HostileInputBounds.test.ts)"
  },
  "server.maxConnections": {
    set: [[["server", "maxConnections"], 64]],
    read: (c) => c.server.maxConnections,
    expected: 64,
    consumedBy: "apps/gateway Gateway.layer: the node:http server's maxConnections (HostileInputBounds.test.ts)"
  },
  "server.maxUpstreamResponseBytes": {
    set: [[["server", "maxUpstreamResponseBytes"], 1048576]],
    read: (c) => c.server.maxUpstreamResponseBytes,
    expected: 1048576,
    consumedBy: "apps/gateway Gateway.layer: the shared transport's maxResponseBytes (HostileInputBounds.test.ts)"
  },
  "server.unsupportedFields": {
    set: [[["server", "unsupportedFields"], "drop-and-report"]],
    read: (c) => c.server.unsupportedFields,
    expected: "drop-and-report",
    consumedBy:
      "apps/gateway chat/responses routes: refuse or list cross-wire fields (DroppedFieldsRejectOrReport.test.ts)"
  },
  "providers.*.kind": {
    set: [[["providers", "backup", "kind"], "gemini"]],
    read: (c) => provider(c, "backup").kind,
    expected: "gemini",
    consumedBy: "Layers.makeProvider: which SDK adapter is built"
  },
  "providers.*.baseURL": {
    set: [[["providers", "backup", "baseURL"], "http://10.0.0.2:9102"]],
    read: (c) => provider(c, "backup").baseURL,
    expected: "http://10.0.0.2:9102",
    consumedBy: "Layers.makeProvider: the SDK client's baseURL"
  },
  "providers.*.keys[].id": {
    set: [[[...P, "keys", 0, "id"], "k9"]],
    read: (c) => key(c, 0).id,
    expected: "k9",
    consumedBy: "Layers.layerState: the keyring pool's key ids (attempt trail, ledger)"
  },
  "providers.*.keys[].secret": {
    set: [[[...P, "keys", 1, "secret"], "sk-literal-changed"]],
    read: (c) => [Redacted.value(key(c, 1).secret), key(c, 1).fingerprint.startsWith("fp_")],
    expected: ["sk-literal-changed", true],
    consumedBy: "Layers.layerState: the keyring leases it to the provider call"
  },
  "providers.*.keys[].weight": {
    set: [[[...P, "keys", 0, "weight"], 3]],
    read: (c) => key(c, 0).weight,
    expected: 3,
    consumedBy: "Layers.layerState: the keyring's weighted selection"
  },
  "providers.*.models[].name": {
    set: [[[...P, "models", 1, "name"], "gpt-4.1"]],
    read: (c) => [...provider(c).models.keys()],
    expected: ["gpt-4o", "gpt-4.1"],
    consumedBy: "engine plan (routes by model name) and Layers.layerState's per-model breakers"
  },
  "providers.*.models[].contextWindow": {
    set: [[[...P, "models", 0, "contextWindow"], 8000]],
    read: (c) => model(c, "gpt-4o").contextWindow,
    expected: 8000,
    consumedBy: "engine plan and decision table: skips a model too small for the request"
  },
  "providers.*.models[].capabilities[]": {
    set: [[[...P, "models", 0, "capabilities", 0], "vision"]],
    read: (c) => [...(model(c, "gpt-4o").capabilities ?? [])],
    expected: ["vision"],
    consumedBy: "engine plan: skips a candidate lacking what the request needs"
  },
  "providers.*.models[].dimensions": {
    set: [
      [[...P, "models", 0, "dimensions"], 1536],
      [[...P, "models", 0, "capabilities"], ["embeddings"]]
    ],
    read: (c) => model(c, "gpt-4o").dimensions,
    expected: 1536,
    consumedBy: "Engine.embed: the size every vector of the model must have (and the route check at start)"
  },
  "providers.*.timeout": {
    set: [[[...P, "timeout"], "5 seconds"]],
    read: (c) => provider(c).timeoutMs,
    expected: 5000,
    consumedBy: "Layers.makeProvider: the adapter's per-call timeout"
  },
  "providers.*.connectTimeout": {
    set: [[[...P, "connectTimeout"], "2 seconds"]],
    read: (c) => provider(c).connectTimeoutMs,
    expected: 2000,
    consumedBy: "Layers.makeProvider: the adapter's pooled connections (@am/transport sharedFetchWith)"
  },
  "providers.*.breaker.consecutiveFailures": {
    set: [[[...P, "breaker", "consecutiveFailures"], 3]],
    read: (c) => provider(c).breaker.consecutiveFailures,
    expected: 3,
    consumedBy: "Layers.layerState: the provider's breaker"
  },
  "providers.*.breaker.failureRate.threshold": {
    set: [[[...P, "breaker", "failureRate", "threshold"], 0.5]],
    read: (c) => provider(c).breaker.failureRate,
    expected: { threshold: 0.5 },
    consumedBy: "Layers.layerState: the provider's breaker"
  },
  "providers.*.breaker.failureRate.minimumCalls": {
    set: [
      [[...P, "breaker", "failureRate", "minimumCalls"], 4],
      [[...P, "breaker", "failureRate", "threshold"], 0.5]
    ],
    read: (c) => provider(c).breaker.failureRate?.minimumCalls,
    expected: 4,
    consumedBy: "Layers.layerState: the provider's breaker"
  },
  "providers.*.breaker.failureRate.window": {
    set: [
      [[...P, "breaker", "failureRate", "window"], 20],
      [[...P, "breaker", "failureRate", "threshold"], 0.5]
    ],
    read: (c) => provider(c).breaker.failureRate?.window,
    expected: 20,
    consumedBy: "Layers.layerState: the provider's breaker"
  },
  "providers.*.breaker.openFor": {
    set: [[[...P, "breaker", "openFor"], "10 seconds"]],
    read: (c) => provider(c).breaker.openFor,
    expected: 10_000,
    consumedBy: "Layers.layerState: the provider's breaker"
  },
  "providers.*.breaker.maxOpenFor": {
    set: [[[...P, "breaker", "maxOpenFor"], 60_000]],
    read: (c) => provider(c).breaker.maxOpenFor,
    expected: 60_000,
    consumedBy: "Layers.layerState: the provider's breaker"
  },
  "providers.*.keySelection": {
    set: [[[...P, "keySelection"], "weighted"]],
    read: (c) => provider(c).keySelection,
    expected: "weighted",
    consumedBy: "Layers.layerState: the keyring pool's strategy"
  },
  "providers.*.headers.*": {
    set: [[[...P, "headers", "x-team"], "search"]],
    read: (c) => provider(c).headers,
    expected: { "x-team": "search" },
    consumedBy: "Layers.makeProvider: the SDK client's default headers"
  },
  "routes.*[].provider": {
    set: [
      [["routes", "default", 0, "provider"], "backup"],
      [["routes", "default", 0, "models"], ["claude-sonnet-4-5"]]
    ],
    read: (c) => stepsOf(c.routes.get("default")!)[0]!.provider,
    expected: "backup",
    consumedBy: "engine plan: the route's provider order"
  },
  "routes.*[].models[]": {
    set: [[["routes", "default", 0, "models", 0], "gpt-4o-mini"]],
    read: (c) => stepsOf(c.routes.get("default")!)[0]!.models,
    expected: ["gpt-4o-mini"],
    consumedBy: "engine plan: the route's model order"
  },
  "providers.*.models[].maxOutput": {
    set: [[[...P, "models", 0, "maxOutput"], 4096]],
    read: (c) => model(c, "gpt-4o").maxOutput,
    expected: 4096,
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): a request asking for more output skips the model"
  },
  "providers.*.models[].price.input": {
    set: [
      [[...P, "models", 0, "price", "input"], 0.01],
      [[...P, "models", 0, "price", "output"], 0.02]
    ],
    read: (c) => model(c, "gpt-4o").price,
    expected: { input: 0.01, output: 0.02 },
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): the cheapest profile's order"
  },
  "providers.*.models[].price.output": {
    set: [
      [[...P, "models", 0, "price", "output"], 0.5],
      [[...P, "models", 0, "price", "input"], 0.1]
    ],
    read: (c) => model(c, "gpt-4o").price?.output,
    expected: 0.5,
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): the cheapest profile's order"
  },
  "routes.*[].weight": {
    set: [[["routes", "default", 0, "weight"], 2]],
    read: (c) => stepsOf(c.routes.get("default")!)[0]!.weight,
    expected: 2,
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): weighted balancing among the step's candidates"
  },
  "routes.*[].weight.*": {
    set: [[["routes", "default", 0, "weight", "gpt-4o"], 3]],
    read: (c) => stepsOf(c.routes.get("default")!)[0]!.weight,
    expected: { "gpt-4o": 3 },
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): weighted balancing per model"
  },
  "routes.*.steps[].provider": {
    set: [
      [["routes", "obj", "steps", 0, "provider"], "backup"],
      [["routes", "obj", "steps", 0, "models"], ["claude-sonnet-4-5"]]
    ],
    read: (c) => routeObj(c)?.steps[0]?.provider,
    expected: "backup",
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): a route object's provider order"
  },
  "routes.*.steps[].models[]": {
    set: [
      [["routes", "obj", "steps", 0, "models", 0], "gpt-4o-mini"],
      [["routes", "obj", "steps", 0, "provider"], "primary"]
    ],
    read: (c) => routeObj(c)?.steps[0]?.models,
    expected: ["gpt-4o-mini"],
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): a route object's model order"
  },
  "routes.*.steps[].weight": {
    set: [
      [["routes", "obj", "steps", 0, "weight"], 2],
      [["routes", "obj", "steps", 0, "provider"], "primary"],
      [["routes", "obj", "steps", 0, "models"], ["gpt-4o"]]
    ],
    read: (c) => routeObj(c)?.steps[0]?.weight,
    expected: 2,
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): weighted balancing"
  },
  "routes.*.steps[].weight.*": {
    set: [
      [["routes", "obj", "steps", 0, "weight", "gpt-4o"], 5],
      [["routes", "obj", "steps", 0, "provider"], "primary"],
      [["routes", "obj", "steps", 0, "models"], ["gpt-4o"]]
    ],
    read: (c) => routeObj(c)?.steps[0]?.weight,
    expected: { "gpt-4o": 5 },
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): weighted balancing per model"
  },
  "routes.*.profile": {
    set: [
      [["routes", "obj", "profile"], "cheapest"],
      [["routes", "obj", "steps"], [{ provider: "primary", models: ["gpt-4o"] }]]
    ],
    read: (c) => routeObj(c)?.profile,
    expected: "cheapest",
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): the route's order (cheapest by the price table, fastest by latency)"
  },
  "routes.*.overrides": {
    set: [
      [["routes", "obj", "overrides"], false],
      [["routes", "obj", "steps"], [{ provider: "primary", models: ["gpt-4o"] }]]
    ],
    read: (c) => routeObj(c)?.overrides,
    expected: false,
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): no x-am-route / metadata.profile override (400 naming the field)"
  },
  "routes.*.overrides.pin": {
    set: [
      [["routes", "obj", "overrides", "pin"], false],
      [["routes", "obj", "steps"], [{ provider: "primary", models: ["gpt-4o"] }]]
    ],
    read: (c) => routeObj(c)?.overrides,
    expected: { pin: false },
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): x-am-route may not pin a provider/model"
  },
  "routes.*.overrides.profiles[]": {
    set: [
      [["routes", "obj", "overrides", "profiles", 0], "cheapest"],
      [["routes", "obj", "steps"], [{ provider: "primary", models: ["gpt-4o"] }]]
    ],
    read: (c) => routeObj(c)?.overrides,
    expected: { profiles: ["cheapest"] },
    consumedBy:
      "Layers.layerRouter → @am/router plan (RoutePoliciesAndACustomRouterDecideThePlan.test.ts): the profiles a request may ask for"
  },
  "retry.base": {
    set: [[["retry", "base"], "1 second"]],
    read: (c) => c.retry.baseMs,
    expected: 1000,
    consumedBy: "engine backoff schedule (Backoff.ts)"
  },
  "retry.max": {
    set: [[["retry", "max"], "20 seconds"]],
    read: (c) => c.retry.maxMs,
    expected: 20_000,
    consumedBy: "engine backoff schedule (Backoff.ts)"
  },
  "retry.factor": {
    set: [[["retry", "factor"], 3]],
    read: (c) => c.retry.factor,
    expected: 3,
    consumedBy: "engine backoff schedule (Backoff.ts)"
  },
  "retry.jitter": {
    set: [[["retry", "jitter"], false]],
    read: (c) => c.retry.jitter,
    expected: false,
    consumedBy: "engine backoff schedule (Backoff.ts)"
  },
  "retry.maxAttempts": {
    set: [[["retry", "maxAttempts"], 3]],
    read: (c) => c.retry.maxAttempts,
    expected: 3,
    consumedBy: "engine decision table: stop after this many calls"
  },
  "retry.providerRetries": {
    set: [[["retry", "providerRetries"], 0]],
    read: (c) => c.retry.providerRetries,
    expected: 0,
    consumedBy: "engine decision table: retries on one provider before failing over"
  },
  "retry.deadline": {
    set: [[["retry", "deadline"], "2 minutes"]],
    read: (c) => c.retry.deadlineMs,
    expected: 120_000,
    consumedBy: "engine: the request's one deadline"
  },
  "retry.budget.maxTokens": {
    set: [[["retry", "budget", "maxTokens"], 4]],
    read: (c) => c.retry.budget.maxTokens,
    expected: 4,
    consumedBy: "Layers.layerState: RetryBudget"
  },
  "retry.budget.tokenRatio": {
    set: [[["retry", "budget", "tokenRatio"], 0.5]],
    read: (c) => c.retry.budget.tokenRatio,
    expected: 0.5,
    consumedBy: "Layers.layerState: RetryBudget"
  },
  "retry.modelQuarantine": {
    set: [[["retry", "modelQuarantine"], "1 minute"]],
    read: (c) => c.retry.modelQuarantineMs,
    expected: 60_000,
    consumedBy: "Layers.layerState: ModelHealth's quarantine"
  },
  "retry.waitForKeys": {
    set: [[["retry", "waitForKeys"], false]],
    read: (c) => c.retry.waitForKeys,
    expected: false,
    consumedBy: "engine: waits for a cooling key when no other candidate is left"
  },
  "mitigation.contentPolicy": {
    set: [[["mitigation", "contentPolicy"], "fail"]],
    read: (c) => c.mitigation.contentPolicy,
    expected: "fail",
    consumedBy: "engine decision table: rewrite, fall back or fail on a content-policy refusal"
  },
  "mitigation.rewriter.kind": {
    set: [[["mitigation", "rewriter", "kind"], "rule"]],
    read: (c) => c.mitigation.rewriter,
    expected: { kind: "rule" },
    consumedBy: "Layers.layerServices: PromptRewriter.layerRule instead of layerLLM"
  },
  "mitigation.rewriter.provider": {
    set: [[["mitigation", "rewriter", "provider"], "backup"]],
    read: (c) => (c.mitigation.rewriter.kind === "llm" ? c.mitigation.rewriter.provider : undefined),
    expected: "backup",
    consumedBy: "Layers.layerServices: the LLM rewriter's provider and key lease"
  },
  "mitigation.rewriter.model": {
    set: [[["mitigation", "rewriter", "model"], "gpt-4o"]],
    read: (c) => (c.mitigation.rewriter.kind === "llm" ? c.mitigation.rewriter.model : undefined),
    expected: "gpt-4o",
    consumedBy: "Layers.layerServices: the LLM rewriter's model"
  },
  "mitigation.rewriter.timeout": {
    set: [[["mitigation", "rewriter", "timeout"], "3 seconds"]],
    read: (c) => (c.mitigation.rewriter.kind === "llm" ? c.mitigation.rewriter.timeoutMs : undefined),
    expected: 3000,
    consumedBy: "Layers.layerServices: the LLM rewriter's timeout"
  },
  "stream.firstTokenTimeout": {
    set: [[["stream", "firstTokenTimeout"], "1 second"]],
    read: (c) => c.stream.firstTokenTimeoutMs,
    expected: 1000,
    consumedBy: "engine stream: fail over when no first token by then"
  },
  "stream.stallTimeout": {
    set: [[["stream", "stallTimeout"], 2500]],
    read: (c) => c.stream.stallTimeoutMs,
    expected: 2500,
    consumedBy: "engine stream: longest pause between chunks"
  },
  "stream.maxDuration": {
    set: [[["stream", "maxDuration"], "2 minutes"]],
    read: (c) => c.stream.maxDurationMs,
    expected: 120_000,
    consumedBy:
      "engine StreamRelay: a committed stream's bound from the request's start (HealthyStreamsOutliveTheDeadline)"
  },
  "stream.routes.*.continuation": {
    set: [[["stream", "routes", "default", "continuation"], false]],
    read: (c) => c.stream.routes?.get("default")?.continuation,
    expected: false,
    consumedBy:
      "engine StreamRelay/StreamContinuation: a cut stream of the route is not continued (StreamsContinueAfterACut)"
  },
  "stream.routes.*.hedgeAfter": {
    set: [[["stream", "routes", "default", "hedgeAfter"], "1500 millis"]],
    read: (c) => c.stream.routes?.get("default")?.hedgeAfterMs,
    expected: 1500,
    consumedBy: "engine StreamHedge: the next candidate starts after that long without a first token (StreamsHedge)"
  },
  "ledger.store": {
    set: [[["ledger", "store"], "sqlite:./data/am.db"]],
    read: (c) => c.ledger.store,
    expected: "sqlite:./data/am.db",
    consumedBy:
      "Audit.layerAudit → Stores.layerHostStores: memory, sqlite:PATH or postgres:// (CreateEngineWiresStoresAndTelemetry)"
  },
  "ledger.spoolDir": {
    set: [
      [["ledger", "spoolDir"], "./data/spool"],
      [["ledger", "store"], "memory"]
    ],
    read: (c) => c.ledger.spoolDir,
    expected: "./data/spool",
    consumedBy: "Audit.layerAudit → Ledger.layer: where entries spool while the store is down"
  },
  "ledger.queryTimeout": {
    set: [
      [["ledger", "queryTimeout"], "750 millis"],
      [["ledger", "store"], "memory"]
    ],
    read: (c) => c.ledger.queryTimeoutMs,
    expected: 750,
    consumedBy:
      "Audit.layerAudit → layerResilientStores: the bound on every durable store call (StoreFaultsNeverStopRequests)"
  },
  "ledger.spoolLimit": {
    set: [
      [["ledger", "spoolLimit"], 5000],
      [["ledger", "store"], "memory"]
    ],
    read: (c) => c.ledger.spoolLimit,
    expected: 5000,
    consumedBy: "Audit.layerAudit → StoreHealth: past it the replica reports not ready (StoreHealthFollowsTheStores)"
  },
  "ledger.previewLengths.initialPrompt": {
    set: [
      [["ledger", "previewLengths", "initialPrompt"], 40],
      [["ledger", "store"], "memory"]
    ],
    read: (c) => c.ledger.previewLengths?.initialPrompt,
    expected: 40,
    consumedBy: "Audit.layerAudit → Ledger.layer: redacted preview lengths in each entry"
  },
  "ledger.previewLengths.finalPrompt": {
    set: [
      [["ledger", "previewLengths", "finalPrompt"], 41],
      [["ledger", "store"], "memory"]
    ],
    read: (c) => c.ledger.previewLengths?.finalPrompt,
    expected: 41,
    consumedBy: "Audit.layerAudit → Ledger.layer: redacted preview lengths in each entry"
  },
  "ledger.previewLengths.response": {
    set: [
      [["ledger", "previewLengths", "response"], 42],
      [["ledger", "store"], "memory"]
    ],
    read: (c) => c.ledger.previewLengths?.response,
    expected: 42,
    consumedBy: "Audit.layerAudit → Ledger.layer: redacted preview lengths in each entry"
  },
  "telemetry.logs": {
    set: [[["telemetry", "logs"], true]],
    read: (c) => c.telemetry.logs,
    expected: true,
    consumedBy: "Audit.layerAudit: one JSON log line per attempt"
  },
  "telemetry.events.batchSize": {
    set: [[["telemetry", "events", "batchSize"], 5]],
    read: (c) => c.telemetry.events.batchSize,
    expected: 5,
    consumedBy: "Audit.layerAudit: the batched event writer"
  },
  "telemetry.events.flushInterval": {
    set: [[["telemetry", "events", "flushInterval"], "2 seconds"]],
    read: (c) => c.telemetry.events.flushIntervalMs,
    expected: 2000,
    consumedBy: "Audit.layerAudit: the batched event writer"
  },
  "telemetry.otlp.url": {
    set: [[["telemetry", "otlp", "url"], "http://collector:4318"]],
    read: (c) => c.telemetry.otlp,
    expected: { url: "http://collector:4318" },
    consumedBy: "Observability.layerObservability: OTLP/HTTP export (OtlpExportsTheRequestAndItsAttempts)"
  },
  "telemetry.otlp.serviceName": {
    set: [
      [["telemetry", "otlp", "serviceName"], "am-eu"],
      [["telemetry", "otlp", "url"], "http://collector:4318"]
    ],
    read: (c) => c.telemetry.otlp?.serviceName,
    expected: "am-eu",
    consumedBy: "Observability.layerObservability: OTLP/HTTP export (OtlpExportsTheRequestAndItsAttempts)"
  },
  "state.store": {
    set: [[["state", "store"], "redis://10.0.0.5:6380/2"]],
    read: (c) => c.state.store,
    expected: "redis://10.0.0.5:6380/2",
    consumedBy:
      "Layers.layerState: keyring, breakers, budget and model health in Redis (CreateEngineWiresStoresAndTelemetry)"
  },
  "state.prefix": {
    set: [
      [["state", "prefix"], "am:eu:"],
      [["state", "store"], "memory"]
    ],
    read: (c) => c.state.prefix,
    expected: "am:eu:",
    consumedBy:
      "Layers.layerState: keyring, breakers, budget and model health in Redis (CreateEngineWiresStoresAndTelemetry)"
  },
  "idempotency.retention": {
    set: [[["idempotency", "retention"], "2 hours"]],
    read: (c) => c.idempotency.retentionMs,
    expected: 7_200_000,
    consumedBy: "Cache.layerIdempotency: how long a result is replayed (@am/cache KeyInFlightIsInProgressOrAwaited)"
  },
  "idempotency.leaseTtl": {
    set: [[["idempotency", "leaseTtl"], "10 seconds"]],
    read: (c) => c.idempotency.leaseTtlMs,
    expected: 10_000,
    consumedBy:
      "Cache.layerIdempotency: how long a dead replica's lease blocks its key (@am/cache FailedOrInterruptedCallIsNotStored)"
  },
  "idempotency.retryAfter": {
    set: [[["idempotency", "retryAfter"], "3 seconds"]],
    read: (c) => c.idempotency.retryAfterMs,
    expected: 3000,
    consumedBy:
      "Cache.layerIdempotency: the Retry-After of a 409 idempotency_in_progress (gateway IdempotencyAcrossReplicas)"
  },
  "idempotency.awaitTimeout": {
    set: [[["idempotency", "awaitTimeout"], "5 seconds"]],
    read: (c) => c.idempotency.awaitTimeoutMs,
    expected: 5000,
    consumedBy:
      "Cache.layerIdempotency: how long a waiting duplicate waits (@am/cache KeyInFlightIsInProgressOrAwaited)"
  },
  "idempotency.pollInterval": {
    set: [[["idempotency", "pollInterval"], "20 millis"]],
    read: (c) => c.idempotency.pollIntervalMs,
    expected: 20,
    consumedBy: "Cache.layerIdempotency: how often a waiter looks at a key held on another replica"
  },
  "idempotency.wait": {
    set: [[["idempotency", "wait"], true]],
    read: (c) => c.idempotency.wait,
    expected: true,
    consumedBy:
      "gateway Lifecycle.track: a duplicate waits and replays instead of 409 (gateway IdempotencyAcrossReplicas)"
  },
  "cache.routes.*.ttl": {
    set: [[["cache", "routes", "default", "ttl"], "10 minutes"]],
    read: (c) => c.cache.routes.default?.ttlMs,
    expected: 600_000,
    consumedBy: "Cache.layerResponseCache: the route is cached, entries live ttl (gateway CacheServesARepeatedRequest)"
  },
  "cache.routes.*.maxEntries": {
    set: [
      [["cache", "routes", "default", "maxEntries"], 100],
      [["cache", "routes", "default", "ttl"], "1 minute"]
    ],
    read: (c) => c.cache.routes.default?.maxEntries,
    expected: 100,
    consumedBy: "Cache.layerResponseCache: the route's LRU bound (@am/cache RepeatedRequestIsServedFromTheCache)"
  },
  "cache.routes.*.maxBytes": {
    set: [
      [["cache", "routes", "default", "maxBytes"], 1_000_000],
      [["cache", "routes", "default", "ttl"], "1 minute"]
    ],
    read: (c) => c.cache.routes.default?.maxBytes,
    expected: 1_000_000,
    consumedBy: "Cache.layerResponseCache: the route's byte bound (@am/cache RepeatedRequestIsServedFromTheCache)"
  },
  "cache.lockTtl": {
    set: [[["cache", "lockTtl"], "5 seconds"]],
    read: (c) => c.cache.lockTtlMs,
    expected: 5000,
    consumedBy:
      "Cache.layerResponseCache (Redis): how long a dead replica's fill lock holds (@am/cache ConcurrentIdenticalMissesMakeOneCall)"
  },
  "cache.pollInterval": {
    set: [[["cache", "pollInterval"], "10 millis"]],
    read: (c) => c.cache.pollIntervalMs,
    expected: 10,
    consumedBy: "Cache.layerResponseCache (Redis): how often a replica waiting on another's fill looks"
  },
  "state.commandTimeout": {
    set: [
      [["state", "commandTimeout"], "300 millis"],
      [["state", "store"], "memory"]
    ],
    read: (c) => c.state.commandTimeoutMs,
    expected: 300,
    consumedBy: "Layers.layerState → layerStateRedis: the bound on every Redis command (StoreFaultsNeverStopRequests)"
  },
  "guards.pii": {
    set: [[["guards", "pii"], "redact"]],
    read: (c) => c.guards?.pii,
    expected: "redact",
    consumedBy:
      "Layers.layerGuard → the engine's guard stage (GuardsHoldThroughCreateEngine: no value reaches the upstream)"
  },
  "guards.injection": {
    set: [[["guards", "injection"], "block"]],
    read: (c) => c.guards?.injection,
    expected: "block",
    consumedBy: "Layers.layerGuard → the engine's guard stage (GuardsHoldThroughCreateEngine: attacks make no call)"
  },
  "guards.injectionThresholds.block": {
    set: [
      [["guards", "injectionThresholds", "block"], 0.5],
      [["guards", "injectionThresholds", "flag"], 0.3]
    ],
    read: (c) => c.guards?.injectionThresholds?.block,
    expected: 0.5,
    consumedBy: "GuardAdapter.makeRequestGuard: the firewall's block threshold"
  },
  "guards.injectionThresholds.flag": {
    set: [
      [["guards", "injectionThresholds", "flag"], 0.3],
      [["guards", "injectionThresholds", "block"], 0.5]
    ],
    read: (c) => c.guards?.injectionThresholds?.flag,
    expected: 0.3,
    consumedBy: "GuardAdapter.makeRequestGuard: the firewall's flag threshold"
  },
  "guards.limits.answerOverflow": {
    set: [[["guards", "limits", "answerOverflow"], "fail"]],
    read: (c) => c.guards?.limits?.answerOverflow,
    expected: "fail",
    consumedBy: "GuardAdapter.makeRequestGuard: a longer answer is cut or fails with output_invalid"
  },
  "guards.limits.maxAnswerChars": {
    set: [[["guards", "limits", "maxAnswerChars"], 100]],
    read: (c) => c.guards?.limits?.maxAnswerChars,
    expected: 100,
    consumedBy: "GuardAdapter.makeRequestGuard: the longest answer a caller gets"
  },
  "guards.limits.maxRequestChars": {
    set: [[["guards", "limits", "maxRequestChars"], 100]],
    read: (c) => c.guards?.limits?.maxRequestChars,
    expected: 100,
    consumedBy: "GuardAdapter.makeRequestGuard: a longer request is refused before any call (guard_blocked)"
  },
  "guards.limits.maxRequestCharsByModel.*": {
    set: [[["guards", "limits", "maxRequestCharsByModel", "gpt-4o"], 50]],
    read: (c) => c.guards?.limits?.maxRequestCharsByModel?.["gpt-4o"],
    expected: 50,
    consumedBy: "GuardAdapter.makeRequestGuard: the per-model request limit"
  },
  "guards.pii.card": {
    set: [[["guards", "pii", "card"], "mask"]],
    read: (c) => (c.guards?.pii as { card?: string } | undefined)?.card,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the card entity's policy"
  },
  "guards.pii.email": {
    set: [[["guards", "pii", "email"], "mask"]],
    read: (c) => (c.guards?.pii as { email?: string } | undefined)?.email,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the email entity's policy"
  },
  "guards.pii.iban": {
    set: [[["guards", "pii", "iban"], "mask"]],
    read: (c) => (c.guards?.pii as { iban?: string } | undefined)?.iban,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the iban entity's policy"
  },
  "guards.pii.ip": {
    set: [[["guards", "pii", "ip"], "mask"]],
    read: (c) => (c.guards?.pii as { ip?: string } | undefined)?.ip,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the ip entity's policy"
  },
  "guards.pii.phone": {
    set: [[["guards", "pii", "phone"], "mask"]],
    read: (c) => (c.guards?.pii as { phone?: string } | undefined)?.phone,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the phone entity's policy"
  },
  "guards.pii.secret": {
    set: [[["guards", "pii", "secret"], "mask"]],
    read: (c) => (c.guards?.pii as { secret?: string } | undefined)?.secret,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the secret entity's policy"
  },
  "guards.pii.ssn": {
    set: [[["guards", "pii", "ssn"], "mask"]],
    read: (c) => (c.guards?.pii as { ssn?: string } | undefined)?.ssn,
    expected: "mask",
    consumedBy: "GuardAdapter.makeRequestGuard: the ssn entity's policy"
  },
  "guards.sanitize.controlChars": {
    set: [[["guards", "sanitize", "controlChars"], "keep"]],
    read: (c) => c.guards?.sanitize?.controlChars,
    expected: "keep",
    consumedBy: "GuardAdapter.makeRequestGuard: control characters in answers"
  },
  "guards.sanitize.html": {
    set: [[["guards", "sanitize", "html"], "escape"]],
    read: (c) => c.guards?.sanitize?.html,
    expected: "escape",
    consumedBy: "GuardAdapter.makeRequestGuard: HTML in answers"
  },
  "guards.verify.enabled": {
    set: [
      [["guards", "verify", "enabled"], true],
      [["guards", "verify", "verifier"], { provider: "primary", model: "gpt-4o-mini" }]
    ],
    read: (c) => c.guards?.verify?.enabled,
    expected: true,
    consumedBy:
      "GuardAdapter.verifiersOf: the engine's verify stage runs (SelfVerificationJudgesAndRetriesOnce.test.ts)"
  },
  "guards.verify.verifier.provider": {
    set: [
      [["guards", "verify", "verifier", "provider"], "backup"],
      [["guards", "verify", "verifier", "model"], "claude-sonnet-4-5"],
      [["guards", "verify", "enabled"], true]
    ],
    read: (c) => c.guards?.verify?.verifier?.provider,
    expected: "backup",
    consumedBy: "VerifyStage.judge: the provider the verifier call goes to"
  },
  "guards.verify.verifier.model": {
    set: [
      [["guards", "verify", "verifier", "model"], "gpt-4o"],
      [["guards", "verify", "verifier", "provider"], "primary"],
      [["guards", "verify", "enabled"], true]
    ],
    read: (c) => c.guards?.verify?.verifier?.model,
    expected: "gpt-4o",
    consumedBy: "VerifyStage.judge: the model the verifier call names"
  },
  "guards.verify.threshold": {
    set: [
      [["guards", "verify", "threshold"], 0.5],
      [["guards", "verify", "enabled"], true],
      [["guards", "verify", "verifier"], { provider: "primary", model: "gpt-4o-mini" }]
    ],
    read: (c) => c.guards?.verify?.threshold,
    expected: 0.5,
    consumedBy: "VerifyStage.verifiedAnswer: the score below which it retries once"
  },
  "guards.verify.maxChars": {
    set: [
      [["guards", "verify", "maxChars"], 1000],
      [["guards", "verify", "enabled"], true],
      [["guards", "verify", "verifier"], { provider: "primary", model: "gpt-4o-mini" }]
    ],
    read: (c) => c.guards?.verify?.maxChars,
    expected: 1000,
    consumedBy: "GuardAdapter.verifiersOf: verifierMessages clips each part the verifier reads"
  },
  "guards.verify.routes.*.threshold": {
    set: [
      [["guards", "verify", "routes", "default", "threshold"], 0.9],
      [["guards", "verify", "enabled"], true],
      [["guards", "verify", "verifier"], { provider: "primary", model: "gpt-4o-mini" }]
    ],
    read: (c) => c.guards?.verify?.routes?.default?.threshold,
    expected: 0.9,
    consumedBy: "Verify.routeVerifier: the route's own threshold"
  },
  "guards.verify.routes.*.verifier.provider": {
    set: [
      [["guards", "verify", "routes", "default", "verifier", "provider"], "backup"],
      [["guards", "verify", "routes", "default", "verifier", "model"], "claude-sonnet-4-5"],
      [["guards", "verify", "enabled"], true]
    ],
    read: (c) => c.guards?.verify?.routes?.default?.verifier?.provider,
    expected: "backup",
    consumedBy: "Verify.routeVerifier: the route's own verifier"
  },
  "guards.verify.routes.*.verifier.model": {
    set: [
      [["guards", "verify", "routes", "default", "verifier", "model"], "claude-sonnet-4-5"],
      [["guards", "verify", "routes", "default", "verifier", "provider"], "backup"],
      [["guards", "verify", "enabled"], true]
    ],
    read: (c) => c.guards?.verify?.routes?.default?.verifier?.model,
    expected: "claude-sonnet-4-5",
    consumedBy: "Verify.routeVerifier: the route's own verifier model"
  },
  "gatewayKeys[].id": {
    set: gatewayKey("id", { id: "team-a", secret: "gk-a", workspace: "ws-a" }),
    read: (c) => c.gatewayKeys.map((g) => g.id),
    expected: ["team-a"],
    consumedBy: "apps/gateway Gateway.serve (makeAuth): accepted bearer keys"
  },
  "gatewayKeys[].secret": {
    set: gatewayKey("secret", { id: "team-a", secret: "env:KEY_1", workspace: "ws-a" }),
    read: (c) => c.gatewayKeys.map((g) => Redacted.value(g.secret)),
    expected: ["sk-env-1"],
    consumedBy: "apps/gateway Gateway.serve (makeAuth): the bearer token compared"
  },
  "gatewayKeys[].workspace": {
    set: gatewayKey("workspace", { id: "team-a", secret: "gk-a", workspace: "ws-a" }),
    read: (c) => c.gatewayKeys.map((g) => g.workspace),
    expected: ["ws-a"],
    consumedBy: "apps/gateway Gateway.serve (makeAuth): the caller's workspace (usage, ledger)"
  },
  "gatewayKeys[].role": {
    set: gatewayKey("role", { id: "ops", secret: "gk-ops", workspace: "ops", role: "admin" }),
    read: (c) => c.gatewayKeys.map((g) => g.role),
    expected: ["admin"],
    consumedBy:
      "apps/gateway Gateway.serve (makeAuth): admin keys see every workspace and run the operator actions (RolesAndIsolation.test.ts)"
  }
}

const setAt = (raw: Record<string, any>, [at, value]: Setting) => {
  const parent = at
    .slice(0, -1)
    .reduce<Record<Segment, any>>((node, seg, i) => (node[seg] ??= typeof at[i + 1] === "number" ? [] : {}), raw)
  parent[at[at.length - 1]!] = value
}

const configWith = (settings: ReadonlyArray<Setting>) => {
  const raw = baseline()
  for (const s of settings) setAt(raw, s)
  return raw
}

/** Maps, sets and `Redacted` as plain data, so two decoded configs compare by value. */
const plain = (v: unknown): unknown =>
  Redacted.isRedacted(v)
    ? { redacted: Redacted.value(v as Redacted.Redacted<unknown>) }
    : v instanceof Map
      ? [...v].map(([k, x]) => [k, plain(x)])
      : v instanceof Set
        ? [...v]
        : Array.isArray(v)
          ? v.map(plain)
          : typeof v === "object" && v !== null
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
            : v

describe("every config field takes effect or is rejected", () => {
  it("the cases cover exactly the schema's leaf fields, each setting the field it names", () => {
    assert.deepStrictEqual([...FIELDS].sort(), Object.keys(cases).sort())
    for (const [field, c] of Object.entries(cases)) {
      assert.strictEqual(patternOf(written, c.set[0]![0]), field, `the first setting of ${field}`)
    }
  })

  it.effect("the baseline is valid", () => Effect.asVoid(loadConfig(baseline(), { env })))

  for (const [field, c] of Object.entries(cases)) {
    if ("rejectedAt" in c) {
      it.effect(`${field} is rejected at start, naming the field`, () =>
        Effect.gen(function* () {
          const e = yield* Effect.flip(loadConfig(configWith(c.set), { env }))
          assert.strictEqual(e.path, c.rejectedAt)
          assert.strictEqual(e.message, c.message)
        })
      )
    } else {
      it.effect(`${field} changes the decoded config (${c.consumedBy})`, () =>
        Effect.gen(function* () {
          const before = yield* loadConfig(baseline(), { env })
          const after = yield* loadConfig(configWith(c.set), { env })
          assert.notDeepEqual(plain(c.read(before)), plain(c.expected), "the baseline already has the value")
          assert.deepStrictEqual(plain(c.read(after)), plain(c.expected))
          assert.notDeepEqual(plain(after), plain(before))
        })
      )
    }
  }

  it.effect("a cached route that is neither a route nor a listed model is rejected, naming it", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        loadConfig({ ...baseline(), cache: { routes: { nowhere: { ttl: "1 minute" } } } }, { env })
      )
      assert.strictEqual(e.path, "cache.routes.nowhere")
      assert.include(e.message, 'unknown route "nowhere"')
      // A listed model may be cached by name (requests that name a model rather than a route).
      yield* loadConfig({ ...baseline(), cache: { routes: { "gpt-4o-mini": { ttl: "1 minute" } } } }, { env })
    })
  )

  it.effect("guards set to off are accepted and decoded as written", () =>
    Effect.gen(function* () {
      const after = yield* loadConfig({ ...baseline(), guards: { pii: "off", injection: "off" } }, { env })
      assert.deepStrictEqual(after.guards, { pii: "off", injection: "off" })
    })
  )
})

/** The resolved shape hosts and the engine ran on before the config became one Schema. */
interface ResolvedBefore extends EngineConfig {
  readonly server: {
    readonly host: string
    readonly port: number
    readonly headersTimeoutMs?: number
    readonly bodyTimeoutMs?: number
    readonly maxConnections?: number
    readonly maxUpstreamResponseBytes?: number
    readonly unsupportedFields?: "reject" | "drop-and-report"
  }
  readonly ledger: {
    readonly store: string
    readonly spoolDir?: string
    readonly queryTimeoutMs?: number
    readonly spoolLimit?: number
    readonly previewLengths?: {
      readonly initialPrompt?: number
      readonly finalPrompt?: number
      readonly response?: number
    }
  }
  readonly telemetry: {
    readonly logs: boolean
    readonly events: { readonly batchSize?: number; readonly flushIntervalMs?: number }
    readonly otlp?: { readonly url: string; readonly serviceName?: string }
  }
  readonly state: { readonly store: string; readonly prefix: string; readonly commandTimeoutMs?: number }
  readonly idempotency: {
    readonly retentionMs?: number
    readonly leaseTtlMs?: number
    readonly retryAfterMs?: number
    readonly awaitTimeoutMs?: number
    readonly pollIntervalMs?: number
    readonly wait: boolean
  }
  readonly cache: {
    readonly routes: {
      readonly [route: string]: { readonly ttlMs: number; readonly maxEntries?: number; readonly maxBytes?: number }
    }
    readonly lockTtlMs?: number
    readonly pollIntervalMs?: number
  }
  readonly guards?: GuardConfig
  readonly gatewayKeys: ReadonlyArray<{
    readonly id: string
    readonly secret: Redacted.Redacted<string>
    readonly workspace: string
    readonly role: "workspace" | "admin"
  }>
}

/** Intersections flattened, so two types compare by shape (modifiers kept, maps, sets and `Redacted` looked into). */
type Shape<T> =
  T extends Redacted.Redacted<infer A>
    ? Redacted.Redacted<Shape<A>>
    : T extends Map<infer K, infer V>
      ? Map<K, Shape<V>>
      : T extends ReadonlyMap<infer K, infer V>
        ? ReadonlyMap<K, Shape<V>>
        : T extends Set<infer V>
          ? Set<Shape<V>>
          : T extends ReadonlySet<infer V>
            ? ReadonlySet<Shape<V>>
            : T extends Array<infer E>
              ? Array<Shape<E>>
              : T extends ReadonlyArray<infer E>
                ? ReadonlyArray<Shape<E>>
                : T extends object
                  ? { [K in keyof T]: Shape<T[K]> }
                  : T
/** `true` only when A and B are the same type (TypeScript's identity, not mutual assignability). */
type Same<A, B> = (<X>() => X extends Shape<A> ? 1 : 2) extends <X>() => X extends Shape<B> ? 1 : 2 ? true : false

type ProviderOf<C extends { readonly providers: ReadonlyMap<string, unknown> }> =
  C["providers"] extends ReadonlyMap<string, infer P> ? P : never

describe("the decoded type", () => {
  it("is exactly the resolved shape (the engine's EngineConfig plus the hosts' part)", () => {
    const checks: {
      readonly config: Same<AmConfig, ResolvedBefore>
      readonly engine: Same<Pick<AmConfig, keyof EngineConfig>, EngineConfig>
      readonly provider: Same<ProviderOf<AmConfig>, ProviderSpec>
      readonly key: Same<ProviderOf<AmConfig>["keys"][number], ApiKey & { readonly weight?: number }>
    } = { config: true, engine: true, provider: true, key: true }
    assert.deepStrictEqual(checks, { config: true, engine: true, provider: true, key: true })
  })
})
