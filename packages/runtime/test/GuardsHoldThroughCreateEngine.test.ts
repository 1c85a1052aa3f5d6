// The guards measured where users meet them: `createEngine` with
// `guards: { pii: "redact", injection: "block" }` in front of the simulator's OpenAI upstream,
// which logs each request's raw body (what reached the provider) and echoes the last user
// message (what comes back). The labelled sets are @am/guard's (tune and held-out splits).
// PII recall: no value appears in any upstream body; restoration: the echoed answer equals the
// original text; look-alikes: they reach the upstream unchanged; injection: attacks fail with
// GuardBlockedError and make no upstream call, benign prompts are answered.
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { ChatMessage } from "@am/core"
import { startUpstream, type Upstream } from "@am/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AmEngine, createEngine, GuardBlockedError } from "../src/index.ts"

const fixture = <A>(name: string): ReadonlyArray<A> =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../guard/test/fixtures/${name}`, import.meta.url)), "utf8")
  ) as ReadonlyArray<A>

type Split = "tune" | "holdout"
interface PiiCase {
  readonly entity: string
  readonly value: string
  readonly text: string
  readonly also?: ReadonlyArray<string>
  readonly split: Split
}
interface LookalikeCase {
  readonly kind: string
  readonly text: string
  readonly split: Split
}
interface InjectionCase {
  readonly label: "attack" | "benign"
  readonly category: string
  readonly source: "user" | "indirect"
  readonly text?: string
  readonly messages?: ReadonlyArray<ChatMessage>
  readonly split: Split
}

const messagesOf = (c: InjectionCase): ReadonlyArray<ChatMessage> =>
  c.messages ??
  (c.source === "user"
    ? [{ role: "user", content: c.text! }]
    : [
        { role: "user", content: "Use the tool and summarise what it returns." },
        { role: "assistant", content: null, toolCalls: [{ id: "t1", name: "fetch", arguments: "{}" }] },
        { role: "tool", toolCallId: "t1", content: c.text! }
      ])

const KEY = "sk-guard-e2e-0000000000000000"
let upstream: Upstream
let engine: AmEngine

beforeAll(async () => {
  upstream = await startUpstream({ kind: "openai", keys: [KEY], echo: true, logBodies: true })
  engine = createEngine(
    {
      providers: {
        primary: {
          kind: "openai",
          baseURL: upstream.baseURL,
          keys: [{ id: "k1", secret: KEY }],
          models: [{ name: "gpt-4o" }]
        }
      },
      routes: { default: [{ provider: "primary", models: ["gpt-4o"] }] },
      retry: { maxAttempts: 2, providerRetries: 0 },
      guards: { pii: "redact", injection: "block" }
    },
    { env: {} }
  )
})
afterAll(async () => {
  await engine.close()
  await upstream.close()
})

/** The raw bodies the upstream received during `f`. */
const bodiesDuring = async <A>(
  f: () => Promise<A>
): Promise<{ result: A | unknown; bodies: ReadonlyArray<string> }> => {
  const before = upstream.requests.length
  const result = await f().catch((e: unknown) => e)
  return { result, bodies: upstream.requests.slice(before).map((r) => r.body ?? "") }
}

const jsonForm = (v: string) => JSON.stringify(v).slice(1, -1)
const leaks = (body: string, value: string) => body.includes(value) || body.includes(jsonForm(value))
const textOf = (r: unknown) => {
  const c = (r as { message?: { content?: unknown } }).message?.content
  return typeof c === "string" ? c : undefined
}
const ratio = (ok: number, n: number) => (n === 0 ? 1 : ok / n)

describe("guards through createEngine against the simulator", () => {
  for (const split of ["tune", "holdout"] as const) {
    it(`PII (${split}): no value reaches the upstream, the answer gets every original back`, async () => {
      const cases = fixture<PiiCase>("pii.json").filter((c) => c.split === split)
      let hidden = 0
      let restored = 0
      const missed: Array<string> = []
      for (const c of cases) {
        const { result, bodies } = await bodiesDuring(() =>
          engine.complete({ messages: [{ role: "user", content: c.text }] })
        )
        const values = [c.value, ...(c.also ?? [])]
        if (bodies.length > 0 && values.every((v) => bodies.every((b) => !leaks(b, v)))) hidden++
        else missed.push(`${c.entity}: ${c.text}`)
        if (textOf(result) === c.text) restored++
      }
      const recall = ratio(hidden, cases.length)
      const restoration = ratio(restored, cases.length)
      console.log(
        `[guards e2e] PII ${split}: n=${cases.length} recall=${recall.toFixed(3)} restoration=${restoration.toFixed(3)}${missed.length > 0 ? ` missed: ${missed.slice(0, 5).join(" | ")}` : ""}`
      )
      expect(recall).toBeGreaterThanOrEqual(0.98)
      expect(restoration).toBeGreaterThanOrEqual(0.98)
    })

    it(`look-alikes (${split}) reach the upstream untouched`, async () => {
      const cases = fixture<LookalikeCase>("lookalikes.json").filter((c) => c.split === split)
      let untouched = 0
      const changed: Array<string> = []
      for (const c of cases) {
        const before = upstream.requests.length
        const answer = await engine.complete({ messages: [{ role: "user", content: c.text }] })
        const sent = upstream.requests.slice(before).at(-1)?.prompt
        if (sent === c.text && textOf(answer) === c.text) untouched++
        else changed.push(`${c.kind}: ${c.text}`)
      }
      const r = ratio(untouched, cases.length)
      console.log(
        `[guards e2e] look-alikes ${split}: n=${cases.length} untouched=${r.toFixed(3)}${changed.length > 0 ? ` changed: ${changed.join(" | ")}` : ""}`
      )
      expect(r).toBeGreaterThanOrEqual(0.98)
    })

    it(`injection (${split}): attacks blocked before any call, benign prompts answered`, async () => {
      const cases = [
        ...fixture<InjectionCase>("injection.json"),
        ...fixture<InjectionCase>("injection-delimiters.json")
      ].filter((c) => c.split === split)
      const attacks = cases.filter((c) => c.label === "attack")
      const benign = cases.filter((c) => c.label === "benign")
      let blocked = 0
      const missed: Array<string> = []
      for (const c of attacks) {
        const { result, bodies } = await bodiesDuring(() => engine.complete({ messages: messagesOf(c) }))
        if (result instanceof GuardBlockedError && bodies.length === 0) {
          blocked++
          expect(result.guard?.reason).toBe("injection")
          expect(result.guard?.rule).toBeTypeOf("string")
        } else missed.push(`${c.category}: ${(c.text ?? JSON.stringify(c.messages)).slice(0, 60)}`)
      }
      let falsePositives = 0
      const wrong: Array<string> = []
      for (const c of benign) {
        const { result, bodies } = await bodiesDuring(() => engine.complete({ messages: messagesOf(c) }))
        if (result instanceof Error || bodies.length === 0) {
          falsePositives++
          wrong.push(`${c.category}: ${(c.text ?? "").slice(0, 60)}`)
        }
      }
      const tpr = ratio(blocked, attacks.length)
      const fpr = benign.length === 0 ? 0 : falsePositives / benign.length
      console.log(
        `[guards e2e] injection ${split}: attacks=${attacks.length} TPR=${tpr.toFixed(3)} benign=${benign.length} FPR=${fpr.toFixed(3)}${missed.length > 0 ? ` missed: ${missed.join(" | ")}` : ""}${wrong.length > 0 ? ` false positives: ${wrong.join(" | ")}` : ""}`
      )
      expect(tpr).toBeGreaterThanOrEqual(0.9)
      expect(fpr).toBeLessThanOrEqual(0.03)
    })
  }

  it("a streamed echo gets the originals back and no placeholder reaches the client", async () => {
    const text = "Mail bob.smith@example.com and call +44 20 7946 0958 about card 4111 1111 1111 1111."
    const before = upstream.requests.length
    let out = ""
    for await (const chunk of engine.stream({ messages: [{ role: "user", content: text }] })) {
      if (chunk._tag === "TextDelta") {
        expect(chunk.text).not.toContain("⟦")
        out += chunk.text
      }
    }
    expect(out).toBe(text)
    const body = upstream.requests.slice(before).at(-1)?.body ?? ""
    expect(body).not.toContain("bob.smith@example.com")
    expect(body).toContain("⟦EMAIL_1⟧")
  })
})
