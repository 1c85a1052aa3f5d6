/**
 * `am` — operator reports over the ledger, `llm_runs` and telemetry events:
 * `am ledger tail | show ID | verify`, `am usage report`, `am events summarize`.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { cli } from "./Commands.ts"

cli.pipe(Command.run({ version: "0.1.0" }), Effect.provide(NodeServices.layer), NodeRuntime.runMain)
