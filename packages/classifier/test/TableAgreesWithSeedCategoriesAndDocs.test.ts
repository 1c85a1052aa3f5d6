import { readFileSync } from "node:fs"
import {
  type FailureClass,
  FailureClass as FailureClassSchema,
  type FailureScope,
  SeedCategory,
  seedCategory
} from "@am/core"
import { assert, describe, it } from "@effect/vitest"
import { rules } from "../src/index.ts"

const CLASSES = FailureClassSchema.literals as ReadonlyArray<FailureClass>

// DESIGN.md's scope table, per class. The one deliberate exception: a Gemini tool call the model
// got wrong is `invalid_request` on the model (see the doc's decision note).
const ALLOWED_SCOPES: Record<FailureClass, ReadonlyArray<FailureScope>> = {
  invalid_request: ["request", "model"],
  request_too_large: ["request"],
  auth_invalid: ["key"],
  permission_denied: ["key"],
  quota_exhausted: ["key"],
  rate_limit: ["key"],
  model_not_found: ["model"],
  context_length_exceeded: ["model"],
  overloaded: ["provider"],
  server_error: ["provider"],
  timeout: ["provider"],
  network: ["provider"],
  conflict: ["provider"],
  stream_interrupted: ["provider"],
  content_policy: ["content"],
  unknown: ["provider"]
}

describe("the table agrees with the seed categories and DESIGN.md", () => {
  it("every failure class maps to a seed category", () => {
    for (const cls of CLASSES) assert.include(SeedCategory.literals, seedCategory(cls), cls)
  })

  it("every failure class is produced by at least one row", () => {
    const produced = new Set(rules.map((r) => r.then.class))
    assert.deepStrictEqual(
      CLASSES.filter((c) => !produced.has(c)),
      []
    )
  })

  it("TRANSIENT and UNKNOWN rows are retryable; FATAL and CONTENT_POLICY rows are not", () => {
    for (const rule of rules) {
      const category = seedCategory(rule.then.class)
      const expected = category === "TRANSIENT" || category === "UNKNOWN"
      assert.strictEqual(rule.then.retryable, expected, `${rule.name} (${rule.then.class} is ${category})`)
    }
  })

  it("every row's scope is the one DESIGN.md gives its class", () => {
    for (const rule of rules) assert.include(ALLOWED_SCOPES[rule.then.class], rule.then.scope, rule.name)
  })

  it("row names are unique and the table ends with unknown", () => {
    const names = rules.map((r) => r.name)
    assert.strictEqual(new Set(names).size, names.length)
    assert.strictEqual(names.at(-1), "unknown")
  })
})

describe("the README's rule table", () => {
  const doc = readFileSync(new URL("../README.md", import.meta.url), "utf8")
  // The "## The table" section; first column of its rows: | `rule.name` | …
  const section = doc.split(/^## /m).find((s) => s.startsWith("The table")) ?? ""
  const documented = [...section.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]!)

  it("documents every rule of the table, in order", () => {
    assert.deepStrictEqual(
      documented,
      rules.map((r) => r.name)
    )
  })
})
