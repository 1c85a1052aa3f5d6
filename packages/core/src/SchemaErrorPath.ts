/**
 * The dotted path of the first issue in a Schema error message (`at ["a"][0]["b"]` → `a.0.b`),
 * so every public edge (the engine's request decoding, the config loader, the gateway's wire
 * format) names the bad field the same way.
 *
 * @example
 * ```ts
 * import { schemaErrorPath } from "@am/core"
 * schemaErrorPath('Expected number\n  at ["messages"][0]["role"]') // "messages.0.role"
 * ```
 * @since 0.1.0
 */
export const schemaErrorPath = (message: string): string | undefined => {
  const line = /at ((?:\[[^\]]*\])+)\s*$/m.exec(message)
  if (!line) return undefined
  return [...line[1]!.matchAll(/\[("?)(.*?)\1\]/g)].map((m) => m[2]).join(".")
}
