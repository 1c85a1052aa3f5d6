// The cache is given the request after @am/guard redacted it: two users whose prompts differ
// only in their e-mail address share one entry (the answer, placeholders and all), each gets the
// answer restored with their own vault, and no address appears in any Redis key or value.
import type { AssistantMessage } from "@am/core"
import { piiPolicy, redactMessages, restoreMessage, Vault } from "@am/guard"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { Redis } from "effect/persistence"
import { type CacheableRequest, cacheKey, ResponseCache } from "../src/index.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"

const Answer = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: Schema.NullOr(Schema.String)
})

const emails = ["alice.martin@example.com", "bob.k@example.org"]

describe.skipIf(skipRedis)("PII and the response cache", () => {
  it.live("keys and entries are built from the redacted request; each caller's own vault restores the answer", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix()
      yield* cleanupAfter(prefix)
      const ctx = yield* Layer.build(
        ResponseCache.layerRedis({ prefix, routes: { default: { ttl: "10 minutes" } } }).pipe(
          Layer.provideMerge(connection())
        )
      )
      const cache = Context.get(ctx, ResponseCache)
      const redis = Context.get(ctx, Redis.Redis)
      let calls = 0
      const answers: Array<string> = []
      for (const email of emails) {
        const vault = Vault.make()
        const redacted = redactMessages(
          [{ role: "user", content: `Draft a reply to ${email} confirming the refund.` }],
          vault,
          piiPolicy("redact")
        )
        const request: CacheableRequest = {
          model: "gpt-4o",
          messages: redacted.messages as CacheableRequest["messages"]
        }
        assert.notInclude(JSON.stringify(request), email)
        // The upstream sees the redacted prompt and answers with its placeholder.
        const upstream = Effect.sync(() => {
          calls++
          const placeholder = /⟦[A-Z]+_\d+⟧/.exec(JSON.stringify(request))?.[0] ?? ""
          return {
            requestId: `req-${calls}`,
            value: { role: "assistant" as const, content: `Dear ${placeholder}, refunded.` }
          }
        })
        const cached = yield* cache.getOrCompute(Answer, { workspace: "w", route: "default", request }, upstream)
        answers.push(restoreMessage(cached.value as AssistantMessage, vault).content as string)
        assert.notInclude(cacheKey({ workspace: "w", route: "default", request }), email)
      }
      assert.strictEqual(calls, 1)
      assert.deepStrictEqual(answers, [`Dear ${emails[0]}, refunded.`, `Dear ${emails[1]}, refunded.`])

      const keys = yield* redis.send<Array<string>>("KEYS", `${prefix}*`)
      assert.isAbove(keys.length, 0)
      for (const key of keys) {
        const type = yield* redis.send<string>("TYPE", key)
        const content =
          type === "string"
            ? yield* redis.send<string>("GET", key)
            : type === "zset"
              ? JSON.stringify(yield* redis.send("ZRANGE", key, "0", "-1"))
              : JSON.stringify(yield* redis.send("HGETALL", key))
        for (const email of emails) {
          assert.notInclude(key, email)
          assert.notInclude(content, email)
        }
      }
    })
  )
})
