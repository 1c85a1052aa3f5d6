#!/usr/bin/env node
/**
 * `am-upstream --config FILE [--json]` — starts the simulated upstreams a JSON file describes
 * and prints their URLs; runs until SIGINT/SIGTERM. Used by the benchmarks (in a process of their own).
 *
 * FILE holds one `UpstreamConfig`, an array of them, or `{ "upstreams": [...] }`; each
 * entry may carry a `name` (printed, default `kind`). With `--json` one line
 * `{"upstreams":[{"name","kind","origin","baseURL","port"}]}` is printed instead.
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import type { UpstreamConfig, UpstreamKind } from "../Upstream.ts"
import { startUpstreams } from "../Upstream.ts"

const USAGE = "usage: am-upstream --config FILE [--json]"
const KINDS: ReadonlyArray<UpstreamKind> = ["openai", "anthropic", "gemini"]

type Entry = UpstreamConfig & { readonly name?: string }

const fail = (message: string): never => {
  process.stderr.write(`am-upstream: ${message}\n${USAGE}\n`)
  process.exit(2)
}

const entries = (json: unknown): ReadonlyArray<Entry> => {
  const list = Array.isArray(json)
    ? json
    : json !== null && typeof json === "object" && Array.isArray((json as { upstreams?: unknown }).upstreams)
      ? (json as { upstreams: Array<unknown> }).upstreams
      : [json]
  return list.map((e, i) => {
    if (e === null || typeof e !== "object") return fail(`upstream #${i + 1} is not an object`)
    const kind = (e as { kind?: unknown }).kind
    if (!KINDS.includes(kind as UpstreamKind))
      return fail(`upstream #${i + 1}: kind must be one of ${KINDS.join(", ")} (got ${JSON.stringify(kind)})`)
    return e as Entry
  })
}

const main = async () => {
  const { values } = parseArgs({
    options: {
      config: { type: "string", short: "c" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (values.config === undefined) return fail("--config FILE is required")
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(values.config, "utf8"))
  } catch (e) {
    return fail(`cannot read ${values.config}: ${(e as Error).message}`)
  }
  const list = entries(parsed)
  const upstreams = await startUpstreams(list.map(({ name: _name, ...config }) => config)).catch((e: Error) =>
    fail(e.message)
  )
  const described = upstreams.map((u, i) => ({
    name: list[i]!.name ?? u.kind,
    kind: u.kind,
    origin: u.origin,
    baseURL: u.baseURL,
    port: u.port
  }))
  if (values.json === true) process.stdout.write(`${JSON.stringify({ upstreams: described })}\n`)
  else for (const d of described) process.stdout.write(`${d.name}\t${d.kind}\t${d.baseURL}\n`)
  const stop = () => {
    void Promise.all(upstreams.map((u) => u.close())).then(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}

void main()
