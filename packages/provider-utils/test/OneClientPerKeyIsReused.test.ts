import { ApiKey } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { makeClientCache } from "../src/index.ts"

describe("one client per key", () => {
  it("the same key gets the same client; another key gets its own", () => {
    const built: Array<string> = []
    const clients = makeClientCache((key) => {
      built.push(key.id)
      return { secret: Redacted.value(key.secret) }
    })
    const a = ApiKey.make("a", Redacted.make("sk-test-aaaaaaaaaaaa"))
    const b = ApiKey.make("b", Redacted.make("sk-test-bbbbbbbbbbbb"))
    assert.strictEqual(clients.get(a), clients.get(a))
    assert.notStrictEqual(clients.get(a), clients.get(b))
    assert.deepStrictEqual(built, ["a", "b"])
    assert.strictEqual(clients.size(), 2)
  })

  it("a rotated secret under the same id replaces the client instead of adding one", () => {
    const clients = makeClientCache((key) => ({ secret: Redacted.value(key.secret) }))
    const before = clients.get(ApiKey.make("a", Redacted.make("sk-test-old-111111111")))
    const after = clients.get(ApiKey.make("a", Redacted.make("sk-test-new-222222222")))
    assert.notStrictEqual(before, after)
    assert.strictEqual(after.secret, "sk-test-new-222222222")
    assert.strictEqual(clients.size(), 1)
  })
})
