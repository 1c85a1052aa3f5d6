import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { classify } from "@am/classifier"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { make } from "../src/index.ts"
import { collect, failureOf, key1, request, streamFailureOf } from "./support.ts"

type Handler = (req: IncomingMessage, body: any, res: ServerResponse) => void

/** A bare server that answers like the OpenAI-compatible servers in the wild, not like OpenAI. */
const compatibleServer = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ baseURL: string; close: () => Promise<void> }>((resolve) => {
          const server = createServer((req, res) => {
            const parts: Array<Buffer> = []
            req.on("data", (c: Buffer) => parts.push(c))
            req.on("end", () => handler(req, JSON.parse(Buffer.concat(parts).toString("utf8") || "null"), res))
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo
            resolve({
              baseURL: `http://127.0.0.1:${port}/v1`,
              close: () =>
                new Promise<void>((done) => {
                  server.closeAllConnections()
                  server.close(() => done())
                })
            })
          })
        })
    ),
    (s) => Effect.promise(s.close)
  )

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

const sse = (res: ServerResponse, events: ReadonlyArray<unknown>, done = true) => {
  res.writeHead(200, { "content-type": "text/event-stream" })
  for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`)
  res.end(done ? "data: [DONE]\n\n" : "")
}

describe("openai-compatible servers: missing fields and odd headers are tolerated", () => {
  it.effect("an answer without id, usage, request id or finish reason is still a completion", () =>
    Effect.gen(function* () {
      const server = yield* compatibleServer((_req, body, res) =>
        json(res, 200, {
          object: "chat.completion",
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: null }]
        })
      )
      const provider = make({ id: "local", kind: "openai-compatible", baseURL: server.baseURL })
      const c = yield* provider.complete({ request, model: "llama3.2", key: key1 })
      assert.deepStrictEqual(c, {
        message: { role: "assistant", content: "hi" },
        finishReason: "stop",
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        provider: "openai-compatible",
        model: "llama3.2"
      })
    })
  )

  it.effect("a 429 with integer-second retry-after and -1 / integer resets keeps them all, unparsed", () =>
    Effect.gen(function* () {
      const server = yield* compatibleServer((_req, _body, res) =>
        json(
          res,
          429,
          { error: { message: "Too many requests", type: "rate_limit", code: 429 } },
          {
            "retry-after": "3",
            "x-ratelimit-reset-requests": "-1",
            "x-ratelimit-reset-tokens": "20",
            "x-ratelimit-remaining-tokens": "0"
          }
        )
      )
      const provider = make({ id: "local", kind: "openai-compatible", baseURL: server.baseURL })
      const f = yield* failureOf(provider, "llama3.2")
      assert.deepInclude(f, {
        provider: "openai-compatible",
        kind: "http",
        status: 429,
        errorType: "rate_limit",
        errorCode: "429",
        retryAfterMs: 3000
      })
      assert.isUndefined(f.requestId)
      assert.deepStrictEqual(f.rateLimit, {
        "x-ratelimit-reset-requests": "-1",
        "x-ratelimit-reset-tokens": "20",
        "x-ratelimit-remaining-tokens": "0"
      })
      const c = classify(f)
      assert.strictEqual(c.class, "rate_limit")
      assert.strictEqual(c.retryAfterMs, 3000)
    })
  )

  it.effect("error bodies without an error object (vLLM, FastAPI) or with a bare string keep their message", () =>
    Effect.gen(function* () {
      const server = yield* compatibleServer((_req, body, res) =>
        body.model === "a"
          ? json(res, 401, { error: "invalid token" })
          : body.model === "b"
            ? json(res, 400, {
                object: "error",
                message: "This model's maximum context length is 4096 tokens.",
                type: "BadRequestError",
                code: 400
              })
            : json(res, 404, { detail: "Model llama9 not found" })
      )
      const provider = make({ id: "local", kind: "openai-compatible", baseURL: server.baseURL })
      const bare = yield* failureOf(provider, "a")
      assert.deepInclude(bare, { status: 401, message: "invalid token" })
      assert.strictEqual(classify(bare).class, "auth_invalid")
      const vllm = yield* failureOf(provider, "b")
      assert.deepInclude(vllm, {
        kind: "http",
        status: 400,
        errorType: "BadRequestError",
        errorCode: "400",
        message: "This model's maximum context length is 4096 tokens."
      })
      assert.strictEqual(classify(vllm).class, "context_length_exceeded")
      const fastapi = yield* failureOf(provider, "c")
      assert.deepInclude(fastapi, { status: 404, message: "Model llama9 not found" })
      assert.strictEqual(classify(fastapi).class, "model_not_found")
    })
  )

  it.effect("a stream without a usage chunk finishes with zero usage; Groq's x_groq.usage is read", () =>
    Effect.gen(function* () {
      const server = yield* compatibleServer((_req, body, res) =>
        sse(res, [
          { choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }] },
          {
            choices: [{ index: 0, delta: { content: "lo" }, finish_reason: "stop" }],
            ...(body.model === "groq"
              ? { x_groq: { usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } } }
              : {})
          }
        ])
      )
      const provider = make({
        id: "local",
        kind: "openai-compatible",
        baseURL: server.baseURL,
        includeStreamUsage: false
      })
      const plain = yield* collect(provider.stream({ request, model: "llama3.2", key: key1 }))
      assert.deepStrictEqual(plain[plain.length - 1], {
        _tag: "Finish",
        finishReason: "stop",
        rawFinishReason: "stop",
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        model: "llama3.2"
      })
      const groq = yield* collect(provider.stream({ request, model: "groq", key: key1 }))
      const finish = groq[groq.length - 1]
      assert.deepStrictEqual(finish?._tag === "Finish" ? finish.usage : undefined, {
        inputTokens: 4,
        outputTokens: 2,
        totalTokens: 6
      })
    })
  )

  it.effect("a stream that closes cleanly without a finish reason is a broken stream, not an answer", () =>
    Effect.gen(function* () {
      const server = yield* compatibleServer((_req, _body, res) =>
        sse(res, [{ choices: [{ index: 0, delta: { content: "Hel" } }] }], false)
      )
      const provider = make({ id: "local", kind: "openai-compatible", baseURL: server.baseURL })
      const f = yield* streamFailureOf(provider, "llama3.2")
      assert.deepInclude(f, {
        kind: "stream",
        responseBytesReceived: true,
        message: "stream ended before a finish reason"
      })
      assert.strictEqual(classify(f).class, "stream_interrupted")
    })
  )

  it.effect("a 200 that is not a chat completion is a decode failure", () =>
    Effect.gen(function* () {
      const server = yield* compatibleServer((_req, _body, res) => json(res, 200, { detail: "queued" }))
      const provider = make({ id: "local", kind: "openai-compatible", baseURL: server.baseURL })
      const f = yield* failureOf(provider, "llama3.2")
      assert.deepInclude(f, { kind: "decode", responseBytesReceived: true })
      assert.match(f.message, /not a chat completion/)
    })
  )
})
