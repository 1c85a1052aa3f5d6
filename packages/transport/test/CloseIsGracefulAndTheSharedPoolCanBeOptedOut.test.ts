import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  closeSharedTransport,
  configureSharedTransport,
  sharedFetch,
  sharedTransport,
  TRANSPORT_ENV,
  Transport
} from "../src/index.ts"
import { signal, testServer, until, waitFor } from "./support.ts"

describe("close() drains, and the shared transport can be reconfigured or opted out", () => {
  it.effect("close() waits for the request in flight, then refuses new ones", () =>
    Effect.gen(function* () {
      const arrived = signal()
      const release = signal()
      const server = yield* testServer((req, res) => {
        req.resume()
        arrived.resolve()
        void release.promise.then(() => res.end("done"))
      })
      const t = Transport.make()
      const events: Array<string> = []
      const inFlight = t.fetch(server.origin, { method: "POST", body: "x" }).then(async (r) => {
        const text = await r.text()
        events.push(`answered ${text}`)
      })
      yield* waitFor(arrived.promise, "the request to arrive")
      const closed = t.close().then(() => {
        events.push("closed")
      })
      const refused = yield* Effect.flip(Effect.tryPromise(() => t.fetch(server.origin)))
      assert.instanceOf(refused.cause, TypeError, "a closing transport takes no new request")
      release.resolve()
      yield* waitFor(Promise.all([inFlight, closed]), "the answer and the close")
      assert.deepStrictEqual(events, ["answered done", "closed"])
      yield* until(() => server.openSockets() === 0, "the server to see the socket closed")
    })
  )

  it.effect("Transport.scoped closes with its scope", () =>
    Effect.gen(function* () {
      const server = yield* testServer((req, res) => {
        req.resume()
        res.end("ok")
      })
      const t = yield* Effect.scoped(
        Effect.gen(function* () {
          const t = yield* Transport.scoped()
          assert.strictEqual(yield* Effect.promise(() => t.fetch(server.origin).then((r) => r.text())), "ok")
          return t
        })
      )
      const refused = yield* Effect.flip(Effect.tryPromise(() => t.fetch(server.origin)))
      assert.instanceOf(refused.cause, TypeError)
    })
  )

  it.effect("sharedFetch outlives closeSharedTransport (the next call opens a fresh pool) and takes options", () =>
    Effect.gen(function* () {
      const server = yield* testServer((req, res) => {
        req.resume()
        res.end("ok")
      })
      assert.strictEqual(yield* Effect.promise(() => sharedFetch(server.origin).then((r) => r.text())), "ok")
      const first = sharedTransport()
      yield* Effect.promise(() => closeSharedTransport())
      assert.strictEqual(yield* Effect.promise(() => sharedFetch(server.origin).then((r) => r.text())), "ok")
      assert.notStrictEqual(sharedTransport(), first)

      configureSharedTransport({ connections: 1 })
      const answers = yield* Effect.promise(() =>
        Promise.all(
          [1, 2, 3].map(() => sharedFetch(server.origin, { method: "POST", body: "x" }).then((r) => r.text()))
        )
      )
      assert.deepStrictEqual(answers, ["ok", "ok", "ok"])
      assert.strictEqual(sharedTransport().stats()[server.origin]?.connected, 1, "the configured cap applies")
      yield* Effect.promise(() => closeSharedTransport())
    })
  )

  it.effect(`${TRANSPORT_ENV}=fetch makes sharedFetch the global fetch`, () =>
    Effect.gen(function* () {
      const server = yield* testServer((req, res) => {
        req.resume()
        res.end("ok")
      })
      const original = globalThis.fetch
      const seen: Array<string> = []
      yield* Effect.acquireRelease(
        Effect.promise(async () => {
          await closeSharedTransport()
          process.env[TRANSPORT_ENV] = "fetch"
          globalThis.fetch = (input, init) => {
            seen.push(String(input))
            return original(input, init)
          }
        }),
        () =>
          Effect.promise(async () => {
            globalThis.fetch = original
            delete process.env[TRANSPORT_ENV]
            await closeSharedTransport()
          })
      )
      assert.strictEqual(yield* Effect.promise(() => sharedFetch(server.origin).then((r) => r.text())), "ok")
      assert.deepStrictEqual(seen, [server.origin])
      assert.deepStrictEqual(sharedTransport().stats(), {}, "no pool of ours")
    })
  )
})
