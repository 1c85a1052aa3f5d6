/**
 * The simulated upstreams moved to `@am/simulator`; tests and benches keep importing them
 * from `@am/testkit`. Every name the simulator exports is the same value here, and an
 * upstream started through the testkit answers.
 */
import * as Simulator from "@am/simulator"
import { assert, describe, it } from "@effect/vitest"
import * as Testkit from "../src/index.ts"

describe("@am/testkit re-exports @am/simulator", () => {
  it("every simulator export is the same value from the testkit", () => {
    const names = Object.keys(Simulator)
    for (const name of ["startUpstream", "startUpstreams", "Upstream", "FaultNames", "isFaultName"])
      assert.include(names, name)
    for (const name of names)
      assert.strictEqual((Testkit as Record<string, unknown>)[name], (Simulator as Record<string, unknown>)[name], name)
  })

  it("an upstream started through the testkit answers with its script", async () => {
    const upstream = await Testkit.startUpstream({ kind: "openai", script: [{ sequence: ["rate_limit"] }] })
    try {
      const ask = () =>
        fetch(`${upstream.baseURL}/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
        })
      assert.strictEqual((await ask()).status, 429)
      assert.strictEqual((await ask()).status, 200)
      assert.deepStrictEqual(
        upstream.requests.map((r) => r.fault),
        ["rate_limit", undefined]
      )
    } finally {
      await upstream.close()
    }
  })
})
