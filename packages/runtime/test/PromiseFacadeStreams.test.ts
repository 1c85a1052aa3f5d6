import type { CompletionChunk } from "@am/core"
import { MemoryProvider, type MemoryStep } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import {
  AllProvidersFailedError,
  createEngine,
  InterruptedError,
  InvalidRequestError,
  StreamInterruptedError
} from "../src/index.ts"

const config = {
  providers: {
    primary: { kind: "openai", keys: [{ id: "p1", secret: "sk-facade-stream-0000000" }], models: [{ name: "gpt-4o" }] },
    secondary: {
      kind: "anthropic",
      keys: [{ id: "s1", secret: "sk-ant-facade-stream-000" }],
      models: [{ name: "claude-sonnet-4-6" }]
    }
  },
  routes: {
    default: [
      { provider: "primary", models: ["gpt-4o"] },
      { provider: "secondary", models: ["claude-sonnet-4-6"] }
    ]
  },
  retry: { maxAttempts: 3, providerRetries: 0 }
}

const setup = (primary: ReadonlyArray<MemoryStep>, secondary: ReadonlyArray<MemoryStep> = []) => {
  const p = MemoryProvider.make({ id: "primary", script: primary })
  const s = MemoryProvider.make({ id: "secondary", kind: "anthropic", script: secondary })
  return { p, s, engine: createEngine(config, { providers: [p, s] }) }
}

const ask = { messages: [{ role: "user", content: "hello" }] }
const text = (chunks: ReadonlyArray<CompletionChunk>) =>
  chunks.map((c) => (c._tag === "TextDelta" ? c.text : "")).join("")

describe("createEngine().stream: an async iterable with failover until the first token", () => {
  it("yields the committed provider's chunks and exposes the commit", async () => {
    const { p, s, engine } = setup(
      [{ fail: { kind: "http", status: 503 } }],
      [{ stream: [{ text: "" }, { text: "Hi" }, { text: " there" }, { finish: "stop" }] }]
    )
    await using _ = engine
    const answer = engine.stream(ask)
    assert.isTrue(answer.commit === undefined, "no commit before iterating")
    const chunks: Array<CompletionChunk> = []
    for await (const chunk of answer) chunks.push(chunk)
    assert.strictEqual(text(chunks), "Hi there")
    assert.strictEqual(chunks[chunks.length - 1]?._tag, "Finish")
    assert.strictEqual(answer.commit?.provider, "secondary")
    assert.strictEqual(answer.commit?.attempts, 2)
    assert.deepStrictEqual(p.streams, { opened: 1, closed: 1 })
    assert.deepStrictEqual(s.streams, { opened: 1, closed: 1 })
  })

  it("throws the same errors as complete() before the first chunk", async () => {
    const { engine } = setup([{ fail: { kind: "http", status: 401 } }], [{ fail: { kind: "http", status: 401 } }])
    await using _ = engine
    const error = await (async () => {
      for await (const _chunk of engine.stream(ask)) assert.fail("no chunk expected")
    })().catch((e: unknown) => e)
    assert.instanceOf(error, AllProvidersFailedError)
    const invalid = await (async () => {
      for await (const _chunk of engine.stream({ messages: [{ role: "user" }] })) assert.fail("no chunk expected")
    })().catch((e: unknown) => e)
    assert.instanceOf(invalid, InvalidRequestError)
  })

  it("throws StreamInterruptedError after the chunks that did arrive when the provider fails mid-answer", async () => {
    // The secondary cannot continue either (it fails too), so the stream ends cut.
    const { engine } = setup(
      [{ stream: [{ text: "Par" }, { fail: { kind: "stream", message: "reset" } }] }],
      [{ fail: { kind: "http", status: 503 } }]
    )
    await using _ = engine
    const chunks: Array<CompletionChunk> = []
    const error = await (async () => {
      for await (const chunk of engine.stream(ask)) chunks.push(chunk)
    })().catch((e: unknown) => e)
    assert.strictEqual(text(chunks), "Par")
    assert.instanceOf(error, StreamInterruptedError)
    assert.strictEqual((error as StreamInterruptedError).code, "stream_interrupted")
  })

  it("a stream cut mid-answer is continued on the prefill-capable secondary: one whole answer", async () => {
    const { s, engine } = setup(
      [{ stream: [{ text: "Par" }, { fail: { kind: "stream", message: "reset" } }] }],
      [{ stream: [{ text: "is, France" }, { finish: "stop" }] }]
    )
    await using _ = engine
    const chunks: Array<CompletionChunk> = []
    for await (const chunk of engine.stream(ask)) chunks.push(chunk)
    assert.strictEqual(text(chunks), "Paris, France")
    assert.strictEqual(chunks.at(-1)?._tag, "Finish")
    assert.strictEqual(s.calls[0]?.prefill, "Par")
  })

  it("breaking out of the loop stops the upstream call", async () => {
    // After its first token the provider would wait forever: only an interruption ends it.
    const { p, engine } = setup([
      { stream: [{ text: "one" }, { delayMs: Number.POSITIVE_INFINITY }, { finish: "stop" }] }
    ])
    await using _ = engine
    for await (const chunk of engine.stream(ask)) {
      assert.strictEqual(chunk._tag, "TextDelta")
      break
    }
    assert.deepStrictEqual(p.streams, { opened: 1, closed: 1 })
  })

  it("aborting the signal stops the upstream call and throws InterruptedError", async () => {
    const { p, engine } = setup([
      { stream: [{ text: "one" }, { delayMs: Number.POSITIVE_INFINITY }, { finish: "stop" }] }
    ])
    await using _ = engine
    const controller = new AbortController()
    const error = await (async () => {
      // Aborted while the next chunk is awaited (the provider is silent).
      for await (const _chunk of engine.stream(ask, { signal: controller.signal }))
        setImmediate(() => controller.abort())
    })().catch((e: unknown) => e)
    assert.instanceOf(error, InterruptedError)
    assert.deepStrictEqual(p.streams, { opened: 1, closed: 1 })
  })
})
