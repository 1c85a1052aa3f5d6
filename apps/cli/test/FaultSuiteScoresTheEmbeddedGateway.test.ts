// `am faults` against the embedded gateway: the real command (effect/cli), the simulated
// upstreams, a fresh gateway per scenario. Asserts the scorecard's structure, that every
// scenario passes (the mid-stream ones by continuation), and that the exit status
// says whether every scenario passed; timing is never asserted.
import { FaultScenarios } from "@am/simulator"
import { assert, describe, it } from "@effect/vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect, Exit } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { cli } from "../src/Commands.ts"
import type { ScenarioScore } from "../src/FaultScore.ts"

describe("am faults scores every scenario against the embedded gateway", () => {
  it.live(
    "one score per scenario kind, conduct checks listed, every kind passes, none is a fake pass",
    () =>
      Effect.gen(function* () {
        const exit = yield* Command.runWith(cli, { version: "test" })(["faults", "--json"]).pipe(
          Effect.provide(NodeServices.layer),
          Effect.exit
        )
        const lines = yield* TestConsole.logLines
        const out = String(lines.at(-1))
        const scores = JSON.parse(out) as Array<ScenarioScore>
        // The exit status is the scorecard's: non-zero as soon as one scenario is short of pass.
        assert.strictEqual(
          Exit.isSuccess(exit),
          scores.every((s) => s.verdict === "pass"),
          String(exit)
        )
        assert.deepStrictEqual(
          scores.map((s) => s.id),
          FaultScenarios.map((s) => s.id)
        )
        assert.strictEqual(new Set(scores.map((s) => s.id)).size, FaultScenarios.length)
        for (const s of scores) {
          assert.include(["pass", "partial", "safe", "fail"], s.verdict)
          const names = s.checks.map((c) => c.name)
          assert.includeMembers(names, ["no truncated success", "bounded attempts", "no hammering", "alive after"])
          assert.isTrue(s.checks.find((c) => c.name === "alive after")!.ok, `${s.id}: gateway not alive after`)
          assert.isTrue(s.checks.find((c) => c.name === "no truncated success")!.ok, `${s.id}: truncated success`)
          // A pass means every request got the whole answer or an expected honest error.
          if (s.verdict === "pass")
            assert.isTrue(
              s.checks.every((c) => c.ok),
              s.id
            )
        }
        // Every kind passes on the careful operator's config (the mid-stream ones by continuation).
        for (const s of scores) assert.strictEqual(s.verdict, "pass", `${s.id}: ${JSON.stringify(s)}`)
      }).pipe(Effect.provide(TestConsole.layer)),
    { timeout: 300_000 }
  )

  it.live("a scenario short of pass makes the command fail (CI reads the exit status)", () =>
    Effect.gen(function* () {
      // Against a URL where no gateway listens every request fails: the scenario cannot pass.
      const exit = yield* Command.runWith(cli, { version: "test" })([
        "faults",
        "--only",
        "server-error-500",
        "--url",
        "http://127.0.0.1:9",
        "--primary-port",
        "0",
        "--fallback-port",
        "0"
      ]).pipe(Effect.provide(NodeServices.layer), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.match(String(exit), /1 of 1 scenario\(s\) did not pass: server-error-500 \(fail\)/)
    }).pipe(Effect.provide(TestConsole.layer))
  )
})
