/**
 * `./am bench guards [iterations] [rounds]` — what the guards add to a request through the
 * engine, for a 2 KB prompt: `engine.complete` without guards and with
 * `guards: { pii: "redact", injection: "block" }`, side by side in one run over the same
 * in-process fake provider (it answers 1 KB quoting a placeholder, so restoration runs), with one
 * e-mail in the prompt and with a dozen values. Rounds are interleaved and each row's median is
 * printed with the difference to the unguarded engine, and beside it what `@am/guard`'s pure
 * functions alone cost for the same prompt and answer (`guardRequest` + `restoreMessage`), so the
 * rest is the engine's glue. The engine runs as every host runs it without `telemetry.otlp` (no
 * spans built). Times are CPU time of this process (user + system), not wall time:
 * on a shared machine a descheduled process does not count against either row. Prints figures;
 * asserts nothing.
 */
import type { Completion, Provider, ProviderCall } from "@am/core"
import { Engine } from "@am/engine"
import { guardRequest, resolveGuardConfig, restoreMessage } from "@am/guard"
import { Effect, ManagedRuntime, References, Stream } from "effect"
import { layerConfigMemory, loadConfig } from "../src/index.ts"

const N = Number(process.argv[2] ?? 5_000)
const ROUNDS = Number(process.argv[3] ?? 7)

const filler =
  "The quarterly review covers revenue, churn and the hiring plan for the platform team. Please keep the tone neutral and the summary short. "
const pad = (s: string, size: number) => {
  let out = s
  while (out.length < size) out += filler
  return out.slice(0, size)
}
const few = pad("Summarise the notes below and send the result to jane.doe@example.com. ", 2048)
const many = pad(
  "Notes from jane.doe@example.com and omar@example.org: call +44 20 7946 0958 or (415) 555-0100; card 4111 1111 1111 1111; IBAN GB82 WEST 1234 5698 7654 32; SSN 536-22-1834; server 10.0.12.7; key sk-proj-abc123DEF456ghi789JKL012mno and AKIAIOSFODNN7EXAMPLE; dates 2024-05-01, v1.2.3, order #12345678. ",
  2048
)
const reply = pad("Done: the summary went to ⟦EMAIL_1⟧. ", 1024)

const answer: Completion = {
  message: { role: "assistant", content: reply },
  finishReason: "stop",
  usage: { inputTokens: 500, outputTokens: 250, totalTokens: 750 },
  provider: "openai",
  model: "m"
}
const fake: Provider = {
  id: "a",
  kind: "openai",
  complete: (_call: ProviderCall) => Effect.succeed(answer),
  stream: () => Stream.empty
}

const config = (guards: object | undefined) => ({
  providers: { a: { kind: "openai", keys: [{ id: "k1", secret: "sk-bench-guards-0000" }], models: [{ name: "m" }] } },
  routes: { default: [{ provider: "a", models: ["m"] }] },
  retry: { budget: { maxTokens: 1e9, tokenRatio: 1 } },
  ...(guards !== undefined ? { guards } : {})
})

const runtimeFor = async (guards: object | undefined) =>
  ManagedRuntime.make(
    layerConfigMemory(await Effect.runPromise(loadConfig(config(guards), { env: {} })), { providers: [fake] })
  )

const main = async () => {
  const plain = await runtimeFor(undefined)
  const guarded = await runtimeFor({ pii: "redact", injection: "block" })
  const loop = (prompt: string) =>
    Effect.gen(function* () {
      const engine = yield* Engine
      const request = { messages: [{ role: "user" as const, content: prompt }] }
      for (let i = 0; i < N; i++) yield* engine.complete(request)
      // As every host runs without `telemetry.otlp` (`layerObservability`): no logs, no spans.
    }).pipe(
      Effect.provideService(References.MinimumLogLevel, "None"),
      Effect.provideService(References.TracerEnabled, false)
    )
  const resolved = resolveGuardConfig({ pii: "redact", injection: "block" })
  const direct = (prompt: string) => async () => {
    const messages = [{ role: "user" as const, content: prompt }]
    for (let i = 0; i < N; i++) restoreMessage(answer.message, guardRequest(messages, resolved).request.vault)
  }
  const rows = [
    { label: "engine, no guards (1 e-mail prompt)", run: () => plain.runPromise(loop(few)) },
    { label: "engine, guards on (1 e-mail prompt)", run: () => guarded.runPromise(loop(few)) },
    { label: "  @am/guard functions alone", run: direct(few) },
    { label: "engine, no guards (12-value prompt)", run: () => plain.runPromise(loop(many)) },
    { label: "engine, guards on (12-value prompt)", run: () => guarded.runPromise(loop(many)) },
    { label: "  @am/guard functions alone", run: direct(many) }
  ]
  const samples = rows.map(() => [] as Array<number>)
  // Warm-up, then interleaved rounds so the machine's load falls on every row alike.
  for (const r of rows) await r.run()
  for (let round = 0; round < ROUNDS; round++) {
    // Every other round in reverse order, so no row always runs right after the same one.
    const order = round % 2 === 0 ? [...rows.keys()] : [...rows.keys()].reverse()
    for (const i of order) {
      const r = rows[i]!
      const c0 = process.cpuUsage()
      await r.run()
      const c = process.cpuUsage(c0)
      samples[i]!.push((c.user + c.system) / N)
    }
  }
  const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const us = samples.map(median)
  console.log(
    `guards through the engine — 2 KB prompt, 1 KB answer, ${N} requests × ${ROUNDS} rounds (median CPU µs/request)`
  )
  for (const [i, r] of rows.entries()) {
    const k = i % 3
    const base = us[i - k]!
    const extra =
      k === 1
        ? `   +${(us[i]! - base).toFixed(1)} µs over the engine without guards (×${(us[i]! / base).toFixed(2)})`
        : k === 2
          ? `   glue: ${(us[i - 1]! - base - us[i]!).toFixed(1)} µs`
          : ""
    console.log(`  ${r.label.padEnd(40)} ${us[i]!.toFixed(1).padStart(8)} µs${extra}`)
  }
  await plain.dispose()
  await guarded.dispose()
}

await main()
