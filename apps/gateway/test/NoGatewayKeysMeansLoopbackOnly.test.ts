/**
 * Without gateway keys the gateway serves loopback only: asked to bind anything else it refuses
 * to start and says why; on loopback every caller is the `local` workspace.
 */
import { loadConfig } from "@am/runtime"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Gateway, isLoopback, makeAuth } from "../src/index.ts"

const raw = {
  providers: {
    p: { kind: "openai", keys: [{ id: "k", secret: "sk-loopback-test-0001" }], models: [{ name: "gpt-4o" }] }
  },
  routes: { default: [{ provider: "p", models: ["gpt-4o"] }] },
  ledger: { store: "memory" }
}

describe("no gateway keys", () => {
  it("refuses to bind a non-loopback address, naming the fix", async () => {
    const config = await Effect.runPromise(loadConfig(raw, { env: {} }))
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Layer.build(Gateway.layer({ config, host: "0.0.0.0", port: 0, logs: false })))
    )
    expect(exit._tag).toBe("Failure")
    expect(JSON.stringify(exit)).toContain("refusing to listen on 0.0.0.0 without gatewayKeys")
  })

  it("binds loopback, where every caller is the local workspace", async () => {
    const config = await Effect.runPromise(loadConfig(raw, { env: {} }))
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Layer.build(Gateway.layer({ config, host: "127.0.0.1", port: 0, logs: false })))
    )
    expect(exit._tag).toBe("Success")
    expect(makeAuth([]).authenticate(undefined)).toEqual({ keyId: "none", workspaceId: "local", role: "admin" })
    expect(["127.0.0.1", "::1", "localhost", "127.1.2.3"].every(isLoopback)).toBe(true)
    expect(["0.0.0.0", "::", "10.0.0.1"].some(isLoopback)).toBe(false)
  })
})
