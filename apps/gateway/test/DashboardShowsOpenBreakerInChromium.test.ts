/**
 * The acceptance of the live dashboard, in real Chromium (Debian's `chromium`, driven by
 * `playwright-core`): opened on a gateway whose primary provider only answers "overloaded",
 * the page comes to show that provider's circuit breaker as open, then the ledger's entries
 * with their attempt trails. It waits for each of these conditions (bounded by a generous
 * timeout, not a timing criterion); how soon the feed sends a change is tested on `TestClock`
 * in `DashboardFeedCadence.test.ts`. Keeps a screenshot in `test-artifacts/dashboard.png`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Upstream } from "@am/testkit"
import { type BrowserContext, chromium } from "playwright-core"
import { afterAll, describe, expect, it } from "vitest"
import { GATEWAY_KEY, type RunningGateway, startGateway, twoProviders } from "./support/Harness.ts"

const CHROMIUM = "/usr/bin/chromium"
const ARTIFACT = fileURLToPath(new URL("../test-artifacts/dashboard.png", import.meta.url))
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

let gateway: RunningGateway | undefined
let upstreams: ReadonlyArray<Upstream> = []
let browser: BrowserContext | undefined
let profile: string | undefined

afterAll(async () => {
  await browser?.close()
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  await gateway?.close()
  await Promise.all(upstreams.map((u) => u.close()))
})

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${GATEWAY_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "default", messages: [{ role: "user", content: "hello" }] })
  }).then((r) => r.text().then(() => r.status))

interface State {
  readonly breakers: ReadonlyArray<{ readonly provider: string; readonly model?: string; readonly status: string }>
}

const primaryOpen = async (url: string) => {
  const state = (await (
    await fetch(`${url}/v1/am/state`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
  ).json()) as State
  return state.breakers.some((b) => b.provider === "primary" && b.model === undefined && b.status === "open")
}

describe("dashboard in Chromium", () => {
  it("shows a provider's breaker as open once it trips, and the ledger's trails", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: this test drives Debian's chromium package (apt-get install -y chromium; .ci/run installs it)`
      )
    }
    // The primary only ever answers "overloaded"; two failures in a row open its circuit.
    const made = await twoProviders({ primary: [{ sequence: ["overloaded"], repeat: true }] })
    upstreams = made.upstreams
    const providers = made.raw.providers as Record<string, Record<string, unknown>>
    providers.primary!.breaker = { consecutiveFailures: 2, openFor: "30 seconds" }
    gateway = await startGateway(made.raw)
    const url = gateway.url

    profile = mkdtempSync(join(tmpdir(), "am-dashboard-chromium-"))
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 }
    })
    const page = browser.pages()[0] ?? (await browser.newPage())
    const problems: Array<string> = []
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`))
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`)
    })
    await page.goto(`${url}/dashboard?key=${GATEWAY_KEY}`)
    const breaker = (status: string) =>
      page.locator(`[data-testid="breaker"][data-scope="provider"][data-provider="primary"][data-status="${status}"]`)
    await breaker("closed").waitFor({ state: "visible", timeout: 10_000 })
    expect(await page.locator("#conn").textContent()).toBe("live")

    // Trip it through the gateway; the requests themselves fail over to the secondary.
    let open = false
    for (let i = 0; i < 5 && !open; i++) {
      expect(await chat(url)).toBe(200)
      open = await primaryOpen(url)
    }
    expect(open).toBe(true)

    // The page comes to show it (the timeout only bounds a broken feed; it is no criterion).
    await breaker("open").waitFor({ state: "visible", timeout: 15_000 })
    // The provider's circuit and its model's both count.
    expect(Number(await page.locator("#t-open").textContent())).toBeGreaterThanOrEqual(1)

    // The rest of the page follows the traffic: the ledger's entries with their trails.
    for (let i = 0; i < 4; i++) expect(await chat(url)).toBe(200)
    await page.locator('[data-testid="ledger-entry"]').nth(4).waitFor({ state: "visible", timeout: 10_000 })
    const trail = await page.locator('[data-testid="ledger-entry"] .step').allTextContents()
    expect(trail.some((s) => s.startsWith("primary/gpt-4o") && s.includes("overloaded"))).toBe(true)
    expect(trail.some((s) => s.startsWith("secondary/claude-sonnet-4-6") && s.includes("ok"))).toBe(true)
    expect(trail.some((s) => s.startsWith("primary/gpt-4o") && s.includes("skipped circuit_open"))).toBe(true)
    expect(await page.locator('[data-testid="key"][data-provider="primary"]').count()).toBe(2)

    mkdirSync(dirname(ARTIFACT), { recursive: true })
    await page.screenshot({ path: ARTIFACT, fullPage: true })
    console.log(`dashboard: screenshot saved to ${ARTIFACT}`)
    // No script errors and no Content-Security-Policy violations.
    expect(problems).toEqual([])
  }, 60_000)
})
