import { ApiKey } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { failureIdentity, firstHeader, pickHeaders, REQUEST_ID_HEADERS, scrub } from "../src/index.ts"

const SECRET = "sk-test-provider-utils-0123456789"
const key = ApiKey.make("k1", Redacted.make(SECRET))

describe("failure fields every adapter fills the same way", () => {
  it("the identity carries the key's id and fingerprint, never its secret", () => {
    const identity = failureIdentity("anthropic", { providerId: "secondary", model: "claude-haiku-4-5", key })
    assert.deepStrictEqual(identity, {
      provider: "anthropic",
      providerId: "secondary",
      model: "claude-haiku-4-5",
      keyId: "k1",
      keyFingerprint: key.fingerprint
    })
    assert.notInclude(JSON.stringify(identity), SECRET)
  })

  it("the call's own secret is scrubbed from failure text", () => {
    const text = scrub(`upstream echoed ${SECRET} back`, key)
    assert.notInclude(text, SECRET)
    assert.include(text, "upstream echoed")
  })

  it("headers are read the same from a fetch Headers and from a plain record", () => {
    const isRateLimit = (name: string) => name.startsWith("x-ratelimit-")
    const headers = new Headers({ "X-RateLimit-Remaining-Requests": "0", "x-request-id": "req_1" })
    const record = { "X-RateLimit-Remaining-Requests": "0", "Request-Id": "req_2" }
    assert.deepStrictEqual(pickHeaders(headers, isRateLimit), { "x-ratelimit-remaining-requests": "0" })
    assert.deepStrictEqual(pickHeaders(record, isRateLimit), { "x-ratelimit-remaining-requests": "0" })
    assert.isUndefined(pickHeaders(new Headers({ a: "b" }), isRateLimit))
    assert.isUndefined(pickHeaders(undefined, isRateLimit))
    assert.strictEqual(firstHeader(headers, REQUEST_ID_HEADERS), "req_1")
    assert.strictEqual(firstHeader(record, REQUEST_ID_HEADERS), "req_2")
    assert.isUndefined(firstHeader({ "x-request-id": "" }, REQUEST_ID_HEADERS))
  })
})
