/**
 * `am-upstream --config FILE` starts every upstream the file lists, prints their URLs,
 * serves them (with their scripts) until SIGTERM, and rejects a bad file with exit 2.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const BIN = new URL("../src/bin/am-upstream.ts", import.meta.url).pathname

const run = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, ["--conditions=@am/source", "--no-warnings", BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  const firstLine = new Promise<string>((resolve, reject) => {
    const check = () => {
      const i = out.indexOf("\n")
      if (i !== -1) resolve(out.slice(0, i))
    }
    child.stdout.on("data", check)
    void exited.then(() => reject(new Error(`exited before printing: ${err}`)))
  })
  // Awaited only by tests that expect output; the others must not see an unhandled rejection.
  firstLine.catch(() => undefined)
  return { child, exited, firstLine, stderr: () => err }
}

const configFile = (content: unknown): string => {
  const dir = mkdtempSync(join(tmpdir(), "am-upstream-"))
  const file = join(dir, "upstreams.json")
  writeFileSync(file, JSON.stringify(content))
  return file
}

describe("am-upstream", () => {
  it("starts the configured upstreams, prints their URLs and stops on SIGTERM", async () => {
    const file = configFile({
      upstreams: [
        { name: "primary", kind: "openai", keys: ["sk-demo"], script: [{ sequence: [429] }] },
        { kind: "gemini", fast: true }
      ]
    })
    const p = run(["--config", file, "--json"])
    try {
      const printed = JSON.parse(await p.firstLine) as {
        upstreams: Array<{ name: string; kind: string; baseURL: string; origin: string }>
      }
      assert.deepStrictEqual(
        printed.upstreams.map((u) => [u.name, u.kind]),
        [
          ["primary", "openai"],
          ["gemini", "gemini"]
        ]
      )
      const openai = printed.upstreams[0]!
      assert.match(openai.baseURL, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      const call = () =>
        fetch(`${openai.baseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer sk-demo" },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
        }).then((r) => r.status)
      assert.deepStrictEqual([await call(), await call()], [429, 200])
      const gemini = await fetch(`${printed.upstreams[1]!.origin}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": "AIza" },
        body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] })
      })
      assert.strictEqual(gemini.status, 200)
    } finally {
      p.child.kill("SIGTERM")
    }
    assert.strictEqual(await p.exited, 0)
  })

  it("prints one tab-separated line per upstream without --json", async () => {
    const p = run(["--config", configFile([{ kind: "anthropic" }])])
    try {
      assert.match(await p.firstLine, /^anthropic\tanthropic\thttp:\/\/127\.0\.0\.1:\d+$/)
    } finally {
      p.child.kill("SIGTERM")
    }
    await p.exited
  })

  it("rejects an unknown kind or a missing --config with exit code 2", async () => {
    const bad = run(["--config", configFile({ kind: "mistral" })])
    assert.strictEqual(await bad.exited, 2)
    assert.match(bad.stderr(), /kind must be one of openai, anthropic, gemini/)
    const none = run([])
    assert.strictEqual(await none.exited, 2)
    assert.match(none.stderr(), /--config FILE is required/)
  })
})
