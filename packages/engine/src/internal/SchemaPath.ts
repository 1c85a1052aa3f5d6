/**
 * The dotted path of the first issue in a Schema error message (`at ["a"][0]["b"]` → `a.0.b`),
 * so validation errors can name the bad field.
 */
export const schemaErrorPath = (message: string): string | undefined => {
  const line = /at ((?:\[[^\]]*\])+)\s*$/m.exec(message)
  if (!line) return undefined
  return [...line[1]!.matchAll(/\[("?)(.*?)\1\]/g)].map((m) => m[2]).join(".")
}
