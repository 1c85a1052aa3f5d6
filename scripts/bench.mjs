#!/usr/bin/env node
// `pnpm bench NAME [args]` — runs a benchmark from source (Node 24 strips types; the
// "@am/source" condition resolves workspace packages to their src/). Benchmarks print
// figures and ratios against a baseline measured in the same run; they never assert.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const benches = {}
for (const dir of ["packages", "apps"]) {
  for (const pkg of readdirSync(join(root, dir))) {
    const benchDir = join(root, dir, pkg, "bench")
    if (!existsSync(benchDir)) continue
    for (const file of readdirSync(benchDir)) {
      if (file.endsWith(".bench.ts")) benches[file.replace(/\.bench\.ts$/, "")] = join(benchDir, file)
    }
  }
}
const [name, ...args] = process.argv.slice(2)
if (!name || !benches[name]) {
  console.error(`usage: pnpm bench NAME\nbenchmarks: ${Object.keys(benches).sort().join(", ") || "(none yet)"}`)
  process.exit(name ? 2 : 0)
}
const r = spawnSync(process.execPath, ["--conditions=@am/source", "--no-warnings", benches[name], ...args], {
  stdio: "inherit",
  cwd: root
})
process.exit(r.status ?? 1)
