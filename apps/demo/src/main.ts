/**
 * `am-demo` — runs a concurrent workload through the engine against three simulated providers
 * in a chaos scenario, with a live view, and prints a summary. The README's run command starts
 * it (until the gateway exists). Options: --requests N (600), --rate R per second (40),
 * --concurrency C (32), --latency MS (25).
 */
import { EventBus, LedgerStore } from "@am/core"
import { Engine } from "@am/engine"
import { layerEngine, loadConfig } from "@am/runtime"
import { Upstream } from "@am/simulator"
import { NodeRuntime } from "@effect/platform-node"
import { Clock, Duration, Effect, Exit, Fiber, References, Schedule, Stream } from "effect"
import { render } from "./LiveView.ts"
import { engineConfig, PII_VALUES, primaryNormal, primaryOutage, promptOf, upstreams } from "./Scenario.ts"
import { percentile, Stats } from "./Stats.ts"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) && v > 0 ? v : fallback
}

const REQUESTS = arg("requests", 600)
const RATE = arg("rate", 40)
const CONCURRENCY = arg("concurrency", 32)
const LATENCY = arg("latency", 25)
const durationMs = (REQUESTS / RATE) * 1000
const OUTAGE_AT = Math.round(durationMs * 0.35)
const RECOVER_AT = Math.round(durationMs * 0.6)
const tty = process.stdout.isTTY === true
const program = Effect.gen(function* () {
  const ups = yield* Upstream.scopedMany(upstreams(LATENCY))
  const primary = ups[0]!
  const config = yield* loadConfig(engineConfig(ups.map((u) => u.baseURL)), { env: {} })
  yield* Effect.gen(function* () {
    const engine = yield* Engine
    const bus = yield* EventBus
    const stats = new Stats()
    let phase = "primary: 30 % overload, one dead key"
    yield* Effect.forkChild(Stream.runForEach(bus.subscribe, (e) => Effect.sync(() => stats.onEvent(e))))
    yield* Effect.forkChild(
      Effect.gen(function* () {
        yield* Effect.sleep(Duration.millis(OUTAGE_AT))
        primary.setScript(primaryOutage)
        phase = "primary: FULL OUTAGE"
        yield* Effect.sleep(Duration.millis(RECOVER_AT - OUTAGE_AT))
        primary.setScript(primaryNormal)
        phase = "primary: recovered (30 % overload)"
      })
    )
    let lastHeight = 0
    const draw = Effect.gen(function* () {
      const text = render(stats, REQUESTS, yield* engine.state, phase)
      if (tty) {
        process.stdout.write(`${lastHeight > 0 ? `\x1b[${lastHeight}F\x1b[J` : ""}${text}\n`)
        lastHeight = text.split("\n").length
      } else {
        const done = stats.succeeded + stats.mitigated + stats.failed + stats.blocked
        process.stdout.write(
          `[demo] ${done}/${REQUESTS} ok=${stats.succeeded} mitigated=${stats.mitigated} failed=${stats.failed} blocked=${stats.blocked} calls=${stats.calls} — ${phase}\n`
        )
      }
    })
    const view = yield* Effect.forkChild(Effect.repeat(draw, Schedule.spaced(tty ? "250 millis" : "2 seconds")))
    yield* Stream.range(0, REQUESTS - 1).pipe(
      Stream.schedule(Schedule.spaced(Duration.millis(1000 / RATE))),
      Stream.mapEffect(
        (i) =>
          Effect.gen(function* () {
            stats.started++
            const t0 = yield* Clock.currentTimeMillis
            const exit = yield* Effect.exit(
              engine.complete({
                messages: [{ role: "user", content: promptOf(i) }],
                metadata: { workspaceId: "demo" }
              })
            )
            stats.latencies.push((yield* Clock.currentTimeMillis) - t0)
            if (Exit.isSuccess(exit)) {
              const r = exit.value.resilience
              stats.attemptsPerRequest.push(r.attempts.filter((a) => a.outcome !== "skipped").length)
              if (r.outcome === "MITIGATED_SUCCESS") stats.mitigated++
              else stats.succeeded++
            } else {
              const e = exit.cause.reasons.find((x) => x._tag === "Fail")
              const code = e?._tag === "Fail" ? e.error.code : "defect"
              // A refused injection is the guard working, not a failure to answer.
              if (code === "guard_blocked") {
                stats.blocked++
                return
              }
              stats.failed++
              stats.errorsByCode.set(code, (stats.errorsByCode.get(code) ?? 0) + 1)
              if (e?._tag === "Fail")
                stats.attemptsPerRequest.push(e.error.attempts.filter((a) => a.outcome !== "skipped").length)
            }
          }),
        { concurrency: CONCURRENCY }
      ),
      Stream.runDrain
    )
    yield* Fiber.interrupt(view)
    yield* draw
    const total = REQUESTS - stats.blocked
    const ok = stats.succeeded + stats.mitigated
    const redacted = [...stats.redacted.entries()].sort((a, b) => b[1] - a[1])
    const leaked = ups.reduce(
      (n, u) => n + u.requests.filter((r) => PII_VALUES.some((v) => r.prompt.includes(v))).length,
      0
    )
    const mean = stats.attemptsPerRequest.reduce((a, b) => a + b, 0) / Math.max(1, stats.attemptsPerRequest.length)
    const lines = [
      "",
      "=== summary ===",
      `requests            ${REQUESTS}  (${RATE}/s, concurrency ${CONCURRENCY}, upstream latency ~${LATENCY} ms)`,
      `success rate        ${((ok / Math.max(1, total)) * 100).toFixed(2)} %  of ${total} answerable (ok ${stats.succeeded}, mitigated ${stats.mitigated}, failed ${stats.failed})`,
      `guards              ${redacted.reduce((n, [, c]) => n + c, 0)} values redacted before send (${redacted.map(([k, v]) => `${k} ${v}`).join(", ") || "none"}), restored in the answers`,
      `                    ${stats.blocked} injections blocked before any provider call (guard_blocked)`,
      `                    ${leaked} prompts with PII seen by the simulated providers (their request logs checked)`,
      `attempts / request  mean ${mean.toFixed(2)}, max ${Math.max(0, ...stats.attemptsPerRequest)}  (provider calls ${stats.calls})`,
      `latency             p50 ${percentile(stats.latencies, 50)} ms  p95 ${percentile(stats.latencies, 95)} ms  p99 ${percentile(stats.latencies, 99)} ms`,
      "failovers by reason:",
      ...[...stats.failovers.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
      "provider failures by class:",
      ...[...stats.failuresByClass.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
      "breaker transitions:",
      ...[...stats.breakerTransitions.entries()].sort().map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
      ...(stats.errorsByCode.size > 0
        ? ["errors by code:", ...[...stats.errorsByCode.entries()].map(([k, v]) => `  ${k.padEnd(44)} ${v}`)]
        : [])
    ]
    const head = yield* (yield* LedgerStore).head
    lines.push(
      `audit               ${head?.seq ?? 0} ledger entries (hash-chained), llm_runs and events in ${config.ledger.store}`,
      `                    ./am cli --store ${config.ledger.store} ledger tail        (verify | show ID)`,
      `                    ./am cli --store ${config.ledger.store} usage report --workspace demo`,
      `                    ./am cli --store ${config.ledger.store} events summarize --since 1h`
    )
    process.stdout.write(`${lines.join("\n")}\n`)
  }).pipe(Effect.provide(layerEngine(config)))
}).pipe(
  Effect.scoped,
  // The live view shows what the per-attempt warning logs would; keep the terminal readable.
  Effect.provideService(References.MinimumLogLevel, "Error")
)

NodeRuntime.runMain(program)
