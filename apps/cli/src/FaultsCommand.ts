/**
 * `am faults` — the fault suite as an operator command: starts the simulated primary (OpenAI
 * wire) and fallback (Anthropic wire) upstreams, runs every scenario of `@am/simulator`'s
 * catalogue through an OpenAI-compatible endpoint, and prints the scorecard.
 *
 * Without `--url` each scenario gets a fresh embedded gateway (`Gateway.layer` over `@am/runtime`,
 * as `./am start` builds it) on the careful operator's config below, so scenarios are isolated.
 * With `--url` the scenarios run against that deployment, which must route `--model` to the
 * suite's upstreams (`--print-config` shows a config that does).
 */
import { LedgerStore, Pricing } from "@am/core"
import { Gateway } from "@am/gateway"
import { loadConfig } from "@am/runtime"
import { FAULT_KEYS, FAULT_MODELS, FAULT_REPLY, type FaultScenario, FaultScenarios, Upstream } from "@am/simulator"
import { Console, Context, Effect, Layer, Option, References } from "effect"
import { Command, Flag } from "effect/cli"
import { HttpServer } from "effect/http"
import { type FaultUpstreams, runScenario, type Target } from "./FaultRun.ts"
import { formatScorecard, type ScenarioScore } from "./FaultScore.ts"
import { CliError } from "./Store.ts"

/**
 * A careful operator's gateway config for the suite's upstreams: two keys and two models on the
 * primary, a fallback provider, short timeouts on silence, a breaker that recovers quickly.
 */
export const faultsGatewayConfig = (primaryURL: string, fallbackURL: string, routeName = "faults") => ({
  server: { host: "127.0.0.1", port: 0 },
  providers: {
    primary: {
      kind: "openai",
      baseURL: primaryURL,
      keys: FAULT_KEYS.primary.map((secret, i) => ({ id: `p${i + 1}`, secret })),
      models: [
        { name: FAULT_MODELS.primary[0], contextWindow: 8_000 },
        { name: FAULT_MODELS.primary[1], contextWindow: 8_000 }
      ],
      timeout: "3 seconds",
      breaker: { consecutiveFailures: 3, openFor: "1 second", maxOpenFor: "2 seconds" }
    },
    fallback: {
      kind: "anthropic",
      baseURL: fallbackURL,
      keys: FAULT_KEYS.fallback.map((secret, i) => ({ id: `f${i + 1}`, secret })),
      // An uncatalogued model: what it can do is declared, prefill included (it continues a cut stream).
      models: [
        {
          name: FAULT_MODELS.fallback[0],
          contextWindow: 200_000,
          capabilities: ["tools", "json", "streaming", "prefill"]
        }
      ],
      timeout: "3 seconds",
      breaker: { consecutiveFailures: 3, openFor: "1 second", maxOpenFor: "2 seconds" }
    }
  },
  routes: {
    [routeName]: [
      { provider: "primary", models: [...FAULT_MODELS.primary] },
      { provider: "fallback", models: [...FAULT_MODELS.fallback] }
    ]
  },
  retry: { base: "50 millis", max: "500 millis", jitter: true, maxAttempts: 6, deadline: "20 seconds" },
  stream: { firstTokenTimeout: "2 seconds", stallTimeout: "2 seconds" },
  mitigation: { contentPolicy: "rewrite" },
  ledger: { store: "memory" },
  state: { store: "memory" }
})

const upstreamsFor = (ports: { readonly primary: number; readonly fallback: number }) =>
  Effect.map(
    Upstream.scopedMany([
      {
        kind: "openai",
        port: ports.primary,
        keys: [...FAULT_KEYS.primary],
        models: [...FAULT_MODELS.primary],
        reply: FAULT_REPLY,
        latencyMs: 5
      },
      {
        kind: "anthropic",
        port: ports.fallback,
        keys: [...FAULT_KEYS.fallback],
        models: [...FAULT_MODELS.fallback],
        reply: FAULT_REPLY,
        latencyMs: 5
      }
    ]),
    ([primary, fallback]): FaultUpstreams => ({ primary: primary!, fallback: fallback! })
  )

/** One scenario against a fresh embedded gateway (released afterwards). */
const runEmbedded = (upstreams: FaultUpstreams, scenario: FaultScenario) =>
  Effect.scoped(
    Effect.gen(function* () {
      const config = yield* loadConfig(faultsGatewayConfig(upstreams.primary.baseURL, upstreams.fallback.baseURL))
      const context = yield* Layer.build(Gateway.layer({ config, port: 0, logs: false }))
      const address = Context.get(context, HttpServer.HttpServer).address
      const port = address._tag === "UnixPathAddress" ? 0 : address.port
      // The embedded gateway's ledger is readable: the accounting checks compare it with what was seen.
      const store = Context.getOption(context, LedgerStore)
      const pricing = Context.getOption(context, Pricing)
      const ledger =
        Option.isSome(store) && Option.isSome(pricing)
          ? {
              byRequestId: (requestId: string) =>
                store.value.byRequestId(requestId).pipe(Effect.orElseSucceed(() => undefined)),
              cost: pricing.value.cost
            }
          : undefined
      return yield* runScenario(
        { baseURL: `http://127.0.0.1:${port}/v1`, model: "faults", ...(ledger !== undefined ? { ledger } : {}) },
        upstreams,
        scenario
      )
    })
  ).pipe(
    // The embedded gateway's own warnings (every injected fault) would bury the scorecard.
    Effect.provideService(References.MinimumLogLevel, "None")
  )

export interface FaultsOptions {
  readonly url?: string
  readonly model?: string
  readonly apiKey?: string
  readonly only?: ReadonlyArray<string>
  readonly ports?: { readonly primary: number; readonly fallback: number }
}

/**
 * Runs the suite and returns one score per scenario, in catalogue order.
 *
 * @example
 * ```ts
 * import { runFaults } from "./FaultsCommand.ts"
 * const scores = yield* runFaults({ only: ["server-error-500"] })
 * ```
 */
export const runFaults = (options: FaultsOptions) =>
  Effect.gen(function* () {
    const unknown = (options.only ?? []).filter((id) => !FaultScenarios.some((s) => s.id === id))
    if (unknown.length > 0) {
      return yield* new CliError({
        message: `--only: unknown scenario ${unknown.join(", ")} (known: ${FaultScenarios.map((s) => s.id).join(", ")})`
      })
    }
    const chosen = FaultScenarios.filter((s) => options.only === undefined || options.only.includes(s.id))
    const upstreams = yield* upstreamsFor(options.ports ?? { primary: 0, fallback: 0 })
    const target: Target | undefined =
      options.url === undefined
        ? undefined
        : {
            baseURL: options.url.replace(/\/+$/, "").replace(/(?<!\/v1)$/, "/v1"),
            model: options.model ?? "faults",
            ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {})
          }
    const scores: Array<ScenarioScore> = []
    for (const scenario of chosen) {
      scores.push(
        yield* target === undefined ? runEmbedded(upstreams, scenario) : runScenario(target, upstreams, scenario)
      )
    }
    return scores
  }).pipe(Effect.scoped)

/** The `faults` subcommand; `json` reads the root's shared `--json` flag. */
export const makeFaultsCommand = <R>(json: Effect.Effect<boolean, never, R>) =>
  Command.make(
    "faults",
    {
      url: Flag.String("url").pipe(
        Flag.withDescription("an OpenAI-compatible base URL to test (default: a fresh embedded gateway per scenario)"),
        Flag.optional
      ),
      model: Flag.String("model").pipe(
        Flag.withDescription("the route or model name to send"),
        Flag.withDefault("faults")
      ),
      key: Flag.String("api-key").pipe(Flag.withDescription("gateway key for --url"), Flag.optional),
      only: Flag.String("only").pipe(Flag.withDescription("comma-separated scenario ids"), Flag.optional),
      primaryPort: Flag.Int("primary-port").pipe(
        Flag.withDescription("port of the simulated primary"),
        Flag.withDefault(0)
      ),
      fallbackPort: Flag.Int("fallback-port").pipe(
        Flag.withDescription("port of the simulated fallback"),
        Flag.withDefault(0)
      ),
      printConfig: Flag.Boolean("print-config").pipe(
        Flag.withDescription("print a gateway config for the suite's upstreams (at the given ports) and exit"),
        Flag.withDefault(false)
      )
    },
    Effect.fn(function* (flags) {
      if (flags.printConfig) {
        const config = faultsGatewayConfig(
          `http://127.0.0.1:${flags.primaryPort || 9101}/v1`,
          `http://127.0.0.1:${flags.fallbackPort || 9102}`,
          flags.model
        )
        return yield* Console.log(JSON.stringify(config, null, 2))
      }
      const url = Option.getOrUndefined(flags.url)
      if (url !== undefined && (flags.primaryPort === 0 || flags.fallbackPort === 0)) {
        yield* Console.error(
          "am faults: with --url, pass --primary-port and --fallback-port that your gateway's config points at (see --print-config)"
        )
      }
      const only = Option.map(flags.only, (s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x.length > 0)
      )
      const scores = yield* runFaults({
        ...(url !== undefined ? { url } : {}),
        model: flags.model,
        ...(Option.isSome(flags.key) ? { apiKey: flags.key.value } : {}),
        ...(Option.isSome(only) ? { only: only.value } : {}),
        ports: { primary: flags.primaryPort, fallback: flags.fallbackPort }
      })
      yield* Console.log((yield* json) ? JSON.stringify(scores, null, 2) : formatScorecard(scores))
      // CI reads the exit status: any scenario short of `pass` fails the command.
      const short = scores.filter((s) => s.verdict !== "pass")
      if (short.length > 0) {
        return yield* new CliError({
          message: `am faults: ${short.length} of ${scores.length} scenario(s) did not pass: ${short.map((s) => `${s.id} (${s.verdict})`).join(", ")}`
        })
      }
    })
  ).pipe(Command.withDescription("run the fault suite through a gateway and print a scorecard"))
