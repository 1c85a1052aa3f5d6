/**
 * A host that never completes the TCP handshake (a listening socket whose accept queue is full)
 * behind `connectTimeoutMs`: through the official `@anthropic-ai/sdk` and the pooled transport
 * the call fails as a connect timeout — kind `timeout`, `errorType` `connect_timeout`, no
 * response bytes — classified `timeout` by the `timeout.connect` rule (provider scope,
 * retryable), not `network`, for the plain call and the stream; a refused connection stays
 * `network`.
 */
import { createServer } from "node:net"
import { classify } from "@am/classifier"
import type { CompletionRequest } from "@am/core"
import { CONNECT_TIMEOUT } from "@am/provider-utils"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { make } from "../src/index.ts"
import { keyA, MODEL } from "./support.ts"
import { silentHost } from "@am/testkit"

const request: CompletionRequest = { messages: [{ role: "user", content: "Say hi" }] }

let host: Awaited<ReturnType<typeof silentHost>> | undefined
beforeAll(async () => {
  host = await silentHost()
})
afterAll(() => host?.close())

describe("a connect timeout through @anthropic-ai/sdk", () => {
  it("is kind timeout, errorType connect_timeout, classified timeout (complete and stream)", async () => {
    const provider = make({ id: "secondary", baseURL: host!.url, connectTimeoutMs: 200, timeoutMs: 10_000 })
    const failure = await Effect.runPromise(Effect.flip(provider.complete({ request, model: MODEL, key: keyA })))
    expect(failure).toMatchObject({ kind: "timeout", errorType: CONNECT_TIMEOUT, responseBytesReceived: false })
    expect(classify(failure)).toMatchObject({
      class: "timeout",
      scope: "provider",
      retryable: true,
      errorType: CONNECT_TIMEOUT,
      rule: "timeout.connect"
    })
    const streamed = await Effect.runPromise(
      Effect.flip(Stream.runDrain(provider.stream({ request, model: MODEL, key: keyA })))
    )
    expect(streamed).toMatchObject({ kind: "timeout", errorType: CONNECT_TIMEOUT })
  })

  it("a refused connection is still network", async () => {
    const closed = createServer()
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, "127.0.0.1", () => resolve((closed.address() as { port: number }).port))
    )
    await new Promise((resolve) => closed.close(resolve))
    const provider = make({ id: "secondary", baseURL: `http://127.0.0.1:${port}`, connectTimeoutMs: 200 })
    const failure = await Effect.runPromise(Effect.flip(provider.complete({ request, model: MODEL, key: keyA })))
    expect(failure.kind).toBe("network")
    expect(failure.errorType).not.toBe(CONNECT_TIMEOUT)
  })
})
