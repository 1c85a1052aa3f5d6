/**
 * Without `telemetry.otlp` no host exports spans, so `layerEngine` builds none (it provides
 * `References.TracerEnabled` false: the request's and each attempt's span were ~11 µs of the
 * happy path). A caller with a tracer of its own gets every span back by providing
 * `References.TracerEnabled` true — over the testkit's OpenAI upstream and the official SDK.
 */
import { Engine } from "@am/engine"
import { startUpstream, type Upstream } from "@am/testkit"
import { Effect, ManagedRuntime, References, Tracer } from "effect"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { layerEngine, loadConfig } from "../src/index.ts"
import { env, SECRETS } from "./support/Harness.ts"

let openai: Upstream

beforeEach(async () => {
  openai = await startUpstream({ kind: "openai", keys: [SECRETS.k1] })
})
afterEach(async () => {
  await openai.close()
})

const runtimeWithoutOtlp = async () => {
  const config = await Effect.runPromise(
    loadConfig(
      {
        providers: {
          primary: {
            kind: "openai",
            baseURL: openai.baseURL,
            keys: [{ id: "k1", secret: "env:T_K1" }],
            models: [{ name: "gpt-4o" }]
          }
        },
        routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] }
      },
      { env }
    )
  )
  return ManagedRuntime.make(layerEngine(config, { logs: false }))
}

/** A tracer that keeps the names of the spans it is asked to build. */
const recording = () => {
  const names: Array<string> = []
  const tracer = Tracer.make({
    span(options) {
      names.push(options.name)
      return new Tracer.NativeSpan(options)
    }
  })
  return { names, tracer }
}

const ask = Effect.flatMap(Effect.service(Engine), (engine) =>
  engine.complete({ messages: [{ role: "user", content: "hello" }] })
)

describe("spans are built only when something reads them", () => {
  it("without telemetry.otlp the engine builds no span, even under a tracer", async () => {
    const rt = await runtimeWithoutOtlp()
    try {
      const { names, tracer } = recording()
      const answer = await rt.runPromise(ask.pipe(Effect.provideService(Tracer.Tracer, tracer)))
      assert.strictEqual(answer.resilience.outcome, "SUCCESS")
      assert.strictEqual(openai.requests.length, 1, "the request reached the upstream")
      assert.deepStrictEqual(names, [])
    } finally {
      await rt.dispose()
    }
  })

  it("a caller's own tracer gets the request span and the attempt span with TracerEnabled true", async () => {
    const rt = await runtimeWithoutOtlp()
    try {
      const { names, tracer } = recording()
      await rt.runPromise(
        ask.pipe(Effect.provideService(Tracer.Tracer, tracer), Effect.provideService(References.TracerEnabled, true))
      )
      assert.include(names, "Engine.complete")
      assert.include(names, "chat gpt-4o", `spans built: ${names.join(", ")}`)
    } finally {
      await rt.dispose()
    }
  })
})
