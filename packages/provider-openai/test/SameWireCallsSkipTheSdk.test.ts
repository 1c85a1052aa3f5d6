/**
 * A whole same-wire answer is fetched without the SDK — the client's text POSTed as it is, with
 * the key, the configured headers and nothing of the SDK's own (`x-stainless-*`) — and fails as
 * the SDK path does for what only the compatible servers send (error bodies without OpenAI's
 * `error` object). A caller's `clientFactory` keeps the SDK in charge, and an interrupted call
 * aborts its upstream request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { CompletionRequest, ProviderFailure } from "@am/core"
import { Upstream } from "@am/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Redacted, Stream } from "effect"
import OpenAI from "openai"
import { make } from "../src/index.ts"
import { key1, request, SECRET_1, until } from "./support.ts"

const TEXT = `{"model":"alias","messages":[{"role":"user","content":"Say hi"}],"x_future":true}`
const sameWire: CompletionRequest = {
  ...request,
  passthrough: { wire: "openai.chat", body: Redacted.make(TEXT), messages: request.messages }
}

/** What one upstream request carried: its headers and its body. */
interface Seen {
  readonly headers: Record<string, string>
  readonly body: string
}

/** A bare server answering with `answer(model)` and recording what it received. */
const server = (answer: (model: string, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ baseURL: string; seen: Array<Seen>; close: () => Promise<void> }>((resolve) => {
          const seen: Array<Seen> = []
          const s = createServer((req: IncomingMessage, res) => {
            const parts: Array<Buffer> = []
            req.on("data", (c: Buffer) => parts.push(c))
            req.on("end", () => {
              const body = Buffer.concat(parts).toString("utf8")
              seen.push({ headers: req.headers as Record<string, string>, body })
              answer(JSON.parse(body).model, res)
            })
          })
          s.listen(0, "127.0.0.1", () => {
            const { port } = s.address() as AddressInfo
            resolve({
              baseURL: `http://127.0.0.1:${port}/v1`,
              seen,
              close: () =>
                new Promise<void>((done) => {
                  s.closeAllConnections()
                  s.close(() => done())
                })
            })
          })
        })
    ),
    (x) => Effect.promise(x.close)
  )

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(body))
}

const html = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "text/html" })
  res.end(body)
}

const completion = (model: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model,
  choices: [{ index: 0, message: { role: "assistant", content: "Hi!" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }
})

const shape = (f: ProviderFailure) => ({
  kind: f.kind,
  status: f.status,
  errorType: f.errorType,
  errorCode: f.errorCode,
  message: f.message,
  responseBytesReceived: f.responseBytesReceived
})

/** A stream as odd servers send it: comments, CRLF line ends, a write split inside a character, no final blank line. */
const oddStream = (model: string, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "text/event-stream" })
  const chunk = (delta: object, finish: string | null = null, usage?: object) =>
    JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage !== undefined ? { usage } : {})
    })
  const text = `: hello\r\n\r\ndata: ${chunk({ role: "assistant", content: "Hé" })}\r\n\r\ndata: ${chunk({ content: "llo" })}\n\ndata: ${chunk({}, "stop")}\n\ndata: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\ndata: [DONE]`
  const bytes = Buffer.from(text)
  // The second write starts inside the multi-byte "é" and the first `\r\n`.
  const cut = bytes.indexOf(Buffer.from("é")) + 1
  res.write(bytes.subarray(0, cut))
  setImmediate(() => res.end(bytes.subarray(cut)))
}

describe("same-wire answers are fetched without the SDK", () => {
  it.effect("a same-wire stream gives the chunks the SDK path gives, without SDK headers", () =>
    Effect.gen(function* () {
      const up = yield* server(oddStream)
      const provider = make({ id: "p", baseURL: up.baseURL })
      const run = (r: CompletionRequest) =>
        Stream.runCollect(provider.stream({ request: r, model: "gpt-4o", key: key1 }))
      const viaSdk = yield* run(request)
      const direct = yield* run(sameWire)
      assert.deepStrictEqual(direct, viaSdk)
      assert.include(JSON.stringify(direct), "Hé")
      assert.include(JSON.stringify(direct), "llo")
      assert.include(JSON.stringify(direct.at(-1)), '"stop"')
      assert.isUndefined(up.seen[1]?.headers["x-stainless-lang"])
      assert.isDefined(up.seen[0]?.headers["x-stainless-lang"])
      assert.strictEqual(JSON.parse(up.seen[1]!.body).stream, true)
    }).pipe(Effect.scoped)
  )

  it.effect("the client's text, the key and the configured headers reach the upstream, no SDK header", () =>
    Effect.gen(function* () {
      const up = yield* server((model, res) => json(res, 200, completion(model)))
      const provider = make({
        id: "p",
        baseURL: `${up.baseURL}/`,
        headers: { "X-Team": "search", Authorization: "Bearer proxy-token" }
      })
      const answer = yield* provider.complete({ request: sameWire, model: "gpt-4o", key: key1 })
      assert.strictEqual(answer.message.content, "Hi!")
      assert.deepStrictEqual(answer.usage, { inputTokens: 3, outputTokens: 2, totalTokens: 5 })
      const [one] = up.seen
      assert.strictEqual(one?.body, TEXT.replace('"alias"', '"gpt-4o"'))
      assert.strictEqual(one?.headers["x-team"], "search")
      // A configured Authorization wins over the key's, as the SDK's defaultHeaders do — once.
      assert.strictEqual(one?.headers.authorization, "Bearer proxy-token")
      assert.deepStrictEqual(
        Object.keys(one?.headers ?? {}).filter((h) => h.startsWith("x-stainless")),
        []
      )
      // Without a configured one, the key is the bearer token.
      const plain = make({ id: "p", baseURL: up.baseURL })
      yield* plain.complete({ request: sameWire, model: "gpt-4o", key: key1 })
      assert.strictEqual(up.seen[1]?.headers.authorization, `Bearer ${SECRET_1}`)
    }).pipe(Effect.scoped)
  )

  it.effect("a caller's clientFactory makes the call (its SDK headers are sent)", () =>
    Effect.gen(function* () {
      const up = yield* server((model, res) => json(res, 200, completion(model)))
      let built = 0
      const provider = make({
        id: "p",
        baseURL: up.baseURL,
        clientFactory: (options) => {
          built++
          return new OpenAI(options)
        }
      })
      yield* provider.complete({ request: sameWire, model: "gpt-4o", key: key1 })
      assert.strictEqual(built, 1)
      assert.isDefined(up.seen[0]?.headers["x-stainless-lang"])
    }).pipe(Effect.scoped)
  )

  it.effect("compatible servers' error bodies fail as on the translated (SDK) path", () =>
    Effect.gen(function* () {
      const up = yield* server((model, res) =>
        model === "a"
          ? json(res, 401, { error: "invalid token" })
          : model === "b"
            ? json(res, 400, {
                object: "error",
                message: "maximum context length is 4096 tokens",
                type: "BadRequestError",
                code: 400
              })
            : model === "c"
              ? json(res, 404, { detail: "Model c not found" })
              : model === "d"
                ? html(res, 502, "<html><title>Bad gateway</title></html>")
                : json(res, 200, { detail: "queued" })
      )
      const provider = make({ id: "local", kind: "openai-compatible", baseURL: up.baseURL })
      for (const model of ["a", "b", "c", "d", "e"]) {
        const viaSdk = yield* Effect.flip(provider.complete({ request, model, key: key1 }))
        const direct = yield* Effect.flip(provider.complete({ request: sameWire, model, key: key1 }))
        assert.deepStrictEqual(shape(direct), shape(viaSdk), `model ${model}`)
      }
      assert.strictEqual(up.seen.length, 10)
    }).pipe(Effect.scoped)
  )

  it.effect("an interrupted call aborts its upstream request", () =>
    Effect.gen(function* () {
      const upstream = yield* Upstream.scoped({ kind: "openai", keys: [SECRET_1], script: [{ sequence: ["hang"] }] })
      const signals: Array<AbortSignal> = []
      const provider = make({
        id: "p",
        baseURL: `${upstream.origin}/v1`,
        fetch: (input, init) => {
          if (init?.signal != null) signals.push(init.signal)
          return fetch(input, init)
        }
      })
      const fiber = yield* Effect.forkChild(provider.complete({ request: sameWire, model: "gpt-4o", key: key1 }))
      yield* until(() => upstream.requests.length === 1)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isFailure(yield* Fiber.await(fiber)))
      assert.strictEqual(signals.length, 1)
      assert.isTrue(signals[0]?.aborted)
    }).pipe(Effect.scoped)
  )
})
