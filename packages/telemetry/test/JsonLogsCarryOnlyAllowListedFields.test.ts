import { EventBus, type EventInput } from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { JsonLogs, Telemetry } from "../src/index.ts"
import { buildIn, failure, isolatedMetrics, success } from "./support.ts"

const SECRET = "sk-live-PLANTED0123456789abcdef"
const PROMPT = "my SSN is 078-05-1120, please summarise"

describe("structured JSON attempt logs", () => {
  it.effect("one line per attempt with the operator fields, and nothing outside the allow-list", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const bus = yield* buildIn(
        Telemetry.layerBus({
          subscribers: [JsonLogs.subscriber({ sink: (line) => Effect.sync(() => void lines.push(line)) })]
        })
      )
      const publish = bus.get(EventBus).publish
      // Smuggle a secret and prompt text in fields the event schema does not have.
      const poisoned = { ...failure(2), message: SECRET, prompt: PROMPT, apiKey: SECRET } as unknown as EventInput
      yield* publish(success(1))
      yield* publish(poisoned)
      yield* publish({ topic: "resource.healed.all", provider: "openai" })
      yield* Scope.close(bus.scope, Exit.void)

      assert.strictEqual(lines.length, 2, "one line per attempt; other topics are not attempt lines")
      const text = lines.join("\n")
      assert.notInclude(text, SECRET)
      assert.notInclude(text, "078-05-1120")
      const allowed = new Set(["ts", "level", "event", ...JsonLogs.ALLOWED_FIELDS.map(([, to]) => to)])
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      for (const line of parsed) for (const key of Object.keys(line)) assert.isTrue(allowed.has(key), key)

      assert.deepInclude(parsed[0], {
        event: "api.call.success",
        request_id: "req-1",
        provider: "openai",
        model: "gpt-4o",
        key_fingerprint: "fp_0123456789ab",
        latency_ms: 120
      })
      assert.deepInclude(parsed[1], {
        event: "api.call.failure",
        level: "warn",
        request_id: "req-2",
        key_id: "k2",
        key_fingerprint: "fp_ba9876543210",
        class: "rate_limit",
        error_type: "RateLimitError",
        status: 429,
        latency_ms: 2500
      })
    }).pipe(isolatedMetrics)
  )
})
