import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import { signal, testServer, transport, waitFor } from "./support.ts"

const completion = JSON.stringify({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }]
})

/** Answers after the request body is in, like an API server. */
const answer = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
  req.resume()
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(completion) })
    res.end(completion)
  })
}

describe("requests reuse pooled keep-alive connections", () => {
  // undici's Pool marks a socket busy until the tick after its response ends, so a call issued
  // right away takes a second socket; from then on the two alternate. What matters: the count
  // stops growing, however many calls follow.
  it.effect("sequential SDK calls ride the same one or two connections", () =>
    Effect.gen(function* () {
      const server = yield* testServer(answer)
      const t = yield* transport()
      const client = new OpenAI({ apiKey: "sk-test", baseURL: server.origin, maxRetries: 0, fetch: t.fetch })
      const calls = (n: number) =>
        Effect.promise(async () => {
          for (let i = 0; i < n; i++) {
            const c = await client.chat.completions.create({
              model: "gpt-4o-mini",
              messages: [{ role: "user", content: "hi" }]
            })
            assert.strictEqual(c.choices[0]?.message.content, "Hi")
          }
        })
      yield* calls(5)
      const warm = server.connections()
      assert.isAtMost(warm, 2)
      yield* calls(50)
      assert.strictEqual(server.connections(), warm, "50 more calls opened no connection")
      assert.strictEqual(t.stats()[server.origin]?.running, 0)
    })
  )

  it.effect("waves of concurrent calls reuse their sockets: the count follows the concurrency, not the calls", () =>
    Effect.gen(function* () {
      const server = yield* testServer(answer)
      const t = yield* transport()
      const client = new OpenAI({ apiKey: "sk-test", baseURL: server.origin, maxRetries: 0, fetch: t.fetch })
      const concurrency = 10
      const waves = (n: number) =>
        Effect.promise(async () => {
          for (let wave = 0; wave < n; wave++) {
            await Promise.all(
              Array.from({ length: concurrency }, () =>
                client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
              )
            )
          }
        })
      yield* waves(13)
      // 130 calls; the sockets are bounded by the concurrency (two per slot, see above), not the calls.
      assert.isAtLeast(server.connections(), concurrency)
      assert.isAtMost(server.connections(), 2 * concurrency)
      assert.strictEqual(t.stats()[server.origin]?.connected, server.connections(), "every socket is still open")
    })
  )

  it.effect("a connection cap queues the rest on the pool's sockets", () =>
    Effect.gen(function* () {
      const release = signal()
      let inFlight = 0
      let peak = 0
      const fourInFlight = signal()
      const server = yield* testServer((req, res) => {
        inFlight++
        peak = Math.max(peak, inFlight)
        if (inFlight === 4) fourInFlight.resolve()
        req.resume()
        void release.promise.then(() => {
          inFlight--
          res.end("ok")
        })
      })
      const t = yield* transport({ connections: 4 })
      const all = Promise.all(
        Array.from({ length: 12 }, () => t.fetch(server.origin, { method: "POST", body: "x" }).then((r) => r.text()))
      )
      yield* waitFor(fourInFlight.promise, "four requests to reach the server")
      assert.strictEqual(t.stats()[server.origin]?.pending, 8, "the other eight wait for a socket")
      release.resolve()
      const texts = yield* waitFor(all, "all twelve answers")
      assert.deepStrictEqual(new Set(texts), new Set(["ok"]))
      assert.strictEqual(peak, 4)
      assert.strictEqual(server.connections(), 4)
    })
  )
})
