/**
 * The dotted path of the first failing field of a Schema error, read from its issue tree
 * (`SchemaIssue`), so every public edge (the engine's request decoding, the config loader, the
 * gateway's wire format) names the bad field the same way.
 *
 * @example
 * ```ts
 * import { schemaIssuePath } from "@am/core"
 * import { Effect, Schema } from "effect"
 * const S = Schema.Struct({ messages: Schema.Array(Schema.Struct({ role: Schema.Literal("user") })) })
 * const error = Effect.runSync(Effect.flip(Schema.decodeUnknownEffect(S)({ messages: [{ role: "robot" }] })))
 * schemaIssuePath(error) // "messages.0.role"
 * ```
 * @since 0.1.0
 */
import { Schema, type SchemaIssue } from "effect"

/**
 * The keys leading to the first failing leaf of an issue tree: `Pointer` nodes contribute their
 * path, `Filter` and `Encoding` nodes are looked through, `Composite` and `AnyOf` nodes are
 * followed into their first member. Empty when the root value itself is bad.
 */
export const schemaIssueKeys = (issue: SchemaIssue.Issue): ReadonlyArray<PropertyKey> => {
  const keys: Array<PropertyKey> = []
  let node: SchemaIssue.Issue | undefined = issue
  while (node !== undefined) {
    switch (node._tag) {
      case "Pointer":
        keys.push(...node.path)
        node = node.issue
        break
      case "Filter":
      case "Encoding":
        node = node.issue
        break
      case "Composite":
      case "AnyOf":
        node = node.issues[0]
        break
      default:
        node = undefined
    }
  }
  return keys
}

/**
 * The dotted path (`messages.1.role`) of the first failing field of a Schema error or issue, or
 * `undefined` when the root value itself is bad.
 */
export const schemaIssuePath = (error: Schema.SchemaError | SchemaIssue.Issue): string | undefined => {
  const keys = schemaIssueKeys(Schema.isSchemaError(error) ? error.issue : error)
  return keys.length === 0 ? undefined : keys.map(String).join(".")
}
