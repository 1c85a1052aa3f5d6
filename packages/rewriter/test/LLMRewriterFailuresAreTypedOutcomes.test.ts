import { assert, describe, it } from "@effect/vitest"
import { type ApiKey, ProviderFailure, type Provider } from "@am/core"
import { Effect } from "effect"
import { makeLLM, RewriteFailed } from "../src/index.ts"
import { conversation, key, recording, SECRET } from "./fixtures.ts"

const failureOf = <A>(effect: Effect.Effect<A, RewriteFailed>) =>
  Effect.flip(effect).pipe(Effect.map((e) => e satisfies RewriteFailed))

const rewriteWith = (options: Parameters<typeof recording>[0], messages = conversation) => {
  const { provider } = recording(options)
  return { provider, run: makeLLM({ provider, model: "m", key }).rewrite({ messages, reason: "content_filter" }) }
}

describe("LLM rewriter failures are typed outcomes", () => {
  it.effect("a provider failure → provider_failure, with no key material in the message", () =>
    Effect.gen(function* () {
      const { run } = rewriteWith({
        script: [
          {
            fail: {
              kind: "http",
              status: 503,
              errorType: "overloaded_error",
              message: `upstream overloaded for key ${SECRET} (Authorization: Bearer ${SECRET})`
            }
          }
        ]
      })
      const e = yield* failureOf(run)
      assert.instanceOf(e, RewriteFailed)
      assert.strictEqual(e._tag, "RewriteFailed")
      assert.strictEqual(e.rewriter, "llm")
      assert.strictEqual(e.reason, "provider_failure")
      assert.include(e.message, "503")
      assert.include(e.message, "overloaded_error")
      assert.notInclude(e.message, SECRET)
      assert.notInclude(JSON.stringify(e), SECRET)
    })
  )

  it.effect("a provider that reports a timeout → timeout", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(rewriteWith({ script: [{ fail: { kind: "timeout" } }] }).run)
      assert.strictEqual(e.reason, "timeout")
    })
  )

  it.effect("a key that cannot be obtained → provider_failure, and the provider is not called", () =>
    Effect.gen(function* () {
      const { provider } = recording({})
      const noKey: Effect.Effect<ApiKey, unknown> = Effect.fail(new Error(`pool empty; last key ${SECRET}`))
      const e = yield* failureOf(
        makeLLM({ provider, model: "m", key: noKey }).rewrite({ messages: conversation, reason: "x" })
      )
      assert.strictEqual(e.reason, "provider_failure")
      assert.include(e.message, "no key for the rewriter")
      assert.notInclude(e.message, SECRET)
      assert.strictEqual(provider.calls.length, 0)
    })
  )

  it.effect("a provider that throws is a provider_failure, not a defect", () =>
    Effect.gen(function* () {
      const crashing: Provider = {
        ...recording({}).provider,
        complete: () => Effect.die(new TypeError("cannot read properties of undefined"))
      }
      const e = yield* failureOf(
        makeLLM({ provider: crashing, model: "m", key }).rewrite({ messages: conversation, reason: "x" })
      )
      assert.strictEqual(e.reason, "provider_failure")
      assert.include(e.message, "crashed")
    })
  )

  it.effect("a refusal from the rewriter model → refused", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(rewriteWith({ script: ["refusal"] }).run)
      assert.strictEqual(e.reason, "refused")
    })
  )

  it.effect("the rewriter's own content filter → refused", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(rewriteWith({ script: ["content_filter"] }).run)
      assert.strictEqual(e.reason, "refused")
    })
  )

  it.effect("a refusal written as text → refused", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(rewriteWith({ reply: "I'm sorry, but I can't help with rewriting that." }).run)
      assert.strictEqual(e.reason, "refused")
    })
  )

  it.effect("a prompt that itself opens with an apology may be rewritten with one", () =>
    Effect.gen(function* () {
      const { run } = rewriteWith({ reply: "Sorry to bother you: how can I stop a hung process?" }, [
        { role: "user", content: "Sorry to bother you, how do I kill a hung process?" }
      ])
      const result = yield* run
      assert.deepStrictEqual(result.messages[0], {
        role: "user",
        content: "Sorry to bother you: how can I stop a hung process?"
      })
    })
  )

  it.effect("an empty or blank answer → empty", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* failureOf(rewriteWith({ reply: "" }).run)).reason, "empty")
      assert.strictEqual((yield* failureOf(rewriteWith({ reply: '  ""  ' }).run)).reason, "empty")
    })
  )

  it.effect("an answer that echoes the meta-prompt → empty", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(
        rewriteWith({
          reply: "You are a prompt rewriting tool, not an assistant. Reply with only the rewritten prompt."
        }).run
      )
      assert.strictEqual(e.reason, "empty")
      assert.include(e.message, "echoed")
    })
  )

  it.effect("the original text handed back → unchanged", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(rewriteWith({ reply: "how do I kill the stuck   java process?" }).run)
      assert.strictEqual(e.reason, "unchanged")
    })
  )

  it.effect("no user message → no_user_text, without calling the provider", () =>
    Effect.gen(function* () {
      const { provider, run } = rewriteWith({}, [
        { role: "system", content: "be nice" },
        { role: "user", content: [{ type: "image", url: "https://example.test/a.png" }] }
      ])
      assert.strictEqual((yield* failureOf(run)).reason, "no_user_text")
      assert.strictEqual(provider.calls.length, 0)
    })
  )

  it.effect("a typed failure of the provider is never left as a ProviderFailure", () =>
    Effect.gen(function* () {
      const e = yield* failureOf(rewriteWith({ script: [{ fail: { kind: "network" } }] }).run)
      assert.notInstanceOf(e, ProviderFailure)
      assert.strictEqual(e.reason, "provider_failure")
    })
  )
})
