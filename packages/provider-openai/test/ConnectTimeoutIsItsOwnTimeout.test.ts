/**
 * A host that never completes the TCP handshake (a listening socket whose accept queue is full)
 * behind `connectTimeoutMs`: through the official `openai` SDK and the pooled transport the call
 * fails as a connect timeout — kind `timeout`, `errorType` `connect_timeout`, no response bytes —
 * classified `timeout` (provider scope, retryable), not `network`, for the plain call and the
 * stream; a refused connection stays `network`.
 */
import { createServer } from "node:net"
import { classify } from "@am/classifier"
import { CONNECT_TIMEOUT } from "@am/provider-utils"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { make } from "../src/index.ts"
import { failureOf, key1, request } from "./support.ts"
import { silentHost } from "@am/testkit"

let host: Awaited<ReturnType<typeof silentHost>> | undefined
beforeAll(async () => {
  host = await silentHost()
})
afterAll(() => host?.close())

describe("a connect timeout through the openai SDK", () => {
  it("is kind timeout, errorType connect_timeout, classified timeout (complete and stream)", async () => {
    const provider = make({ id: "primary", baseURL: `${host!.url}/v1`, connectTimeoutMs: 200, timeoutMs: 10_000 })
    const failure = await Effect.runPromise(failureOf(provider))
    expect(failure).toMatchObject({ kind: "timeout", errorType: CONNECT_TIMEOUT, responseBytesReceived: false })
    expect(classify(failure)).toMatchObject({
      class: "timeout",
      scope: "provider",
      retryable: true,
      errorType: CONNECT_TIMEOUT,
      rule: "timeout.connect"
    })
    const streamed = await Effect.runPromise(
      Effect.flip(Stream.runDrain(provider.stream({ request, model: "gpt-4o", key: key1 })))
    )
    expect(streamed).toMatchObject({ kind: "timeout", errorType: CONNECT_TIMEOUT })
  })

  it("a refused connection is still network", async () => {
    const closed = createServer()
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, "127.0.0.1", () => resolve((closed.address() as { port: number }).port))
    )
    await new Promise((resolve) => closed.close(resolve))
    const provider = make({ id: "primary", baseURL: `http://127.0.0.1:${port}/v1`, connectTimeoutMs: 200 })
    const failure = await Effect.runPromise(failureOf(provider))
    expect(failure.kind).toBe("network")
    expect(failure.errorType).not.toBe(CONNECT_TIMEOUT)
  })
})
