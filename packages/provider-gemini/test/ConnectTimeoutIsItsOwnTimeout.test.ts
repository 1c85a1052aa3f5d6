/**
 * A host that never completes the TCP handshake behind `connectTimeoutMs`: through `@google/genai`
 * and the pooled transport the call fails as a connect timeout (kind `timeout`, `errorType`
 * `connect_timeout`), classified by the `timeout.connect` rule, as with the other adapters.
 */
import { classify } from "@am/classifier"
import { ApiKey, type CompletionRequest } from "@am/core"
import { CONNECT_TIMEOUT } from "@am/provider-utils"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { make } from "../src/index.ts"
import { silentHost } from "@am/testkit"

const request: CompletionRequest = { messages: [{ role: "user", content: "Say hi" }] }
const key = ApiKey.make("g1", Redacted.make("AIza-test-connect-timeout-0001"))

let host: Awaited<ReturnType<typeof silentHost>> | undefined
beforeAll(async () => {
  host = await silentHost()
})
afterAll(() => host?.close())

describe("a connect timeout through @google/genai", () => {
  it("is kind timeout, errorType connect_timeout, classified timeout", async () => {
    const provider = make({ id: "google", baseURL: host!.url, connectTimeoutMs: 200, timeoutMs: 10_000 })
    const failure = await Effect.runPromise(Effect.flip(provider.complete({ request, model: "gemini-2.5-flash", key })))
    expect(failure).toMatchObject({ kind: "timeout", errorType: CONNECT_TIMEOUT, responseBytesReceived: false })
    expect(classify(failure)).toMatchObject({ class: "timeout", scope: "provider", rule: "timeout.connect" })
  })
})
