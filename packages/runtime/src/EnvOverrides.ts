/**
 * Environment overrides of the config file: `AM__<PATH>=value` sets the field at PATH before the
 * file is decoded, so the environment wins over the file (seed `000_…` §3).
 *
 * @example
 * ```ts
 * import { applyEnvOverrides } from "@am/runtime"
 * applyEnvOverrides({ retry: { maxAttempts: 10 } }, { AM__RETRY__MAX_ATTEMPTS: "3" }) // { retry: { maxAttempts: 3 } }
 * ```
 * @since 0.1.0
 */

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())

/**
 * Applies environment overrides: `AM__<PATH>` where path segments are joined by `__` and
 * written in SNAKE_CASE, e.g. `AM__RETRY__MAX_ATTEMPTS=3`, `AM__SERVER__PORT=8080`,
 * `AM__PROVIDERS__PRIMARY__BASE_URL=http://…`. Values are parsed as JSON when they parse,
 * else taken as strings. Environment wins over the file (seed `000_…` §3). The input is left
 * untouched.
 */
export const applyEnvOverrides = (raw: unknown, env: Readonly<Record<string, string | undefined>>): unknown => {
  const root: Record<string, unknown> = structuredClone((raw ?? {}) as Record<string, unknown>)
  const entries = Object.entries(env).filter(([k, v]) => k.startsWith("AM__") && v !== undefined)
  entries.sort(([a], [b]) => a.localeCompare(b))
  entries.forEach(([name, value]) => {
    const path = name
      .slice(4)
      .split("__")
      .filter((s) => s.length > 0)
    if (path.length === 0) return
    let parsed: unknown = value
    try {
      parsed = JSON.parse(value!)
    } catch {
      parsed = value
    }
    const parent = path.slice(0, -1).reduce<Record<string, unknown>>((node, seg) => {
      const existing = Object.keys(node).find((k) => k.toLowerCase() === camel(seg).toLowerCase())
      const key = existing ?? camel(seg)
      const next = node[key]
      if (next === null || typeof next !== "object") node[key] = {}
      return node[key] as Record<string, unknown>
    }, root)
    const last = path[path.length - 1]!
    const existing = Object.keys(parent).find((k) => k.toLowerCase() === camel(last).toLowerCase())
    const lastKey = existing ?? (camel(last) === "baseUrl" ? "baseURL" : camel(last))
    parent[lastKey] = parsed
  })
  return root
}
