import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** A fixture file of `test/fixtures`, parsed. */
export const fixture = <A>(name: string): ReadonlyArray<A> =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), "utf8")) as ReadonlyArray<A>

export type Split = "tune" | "holdout"

export const ratio = (ok: number, n: number): number => (n === 0 ? 1 : ok / n)

export const pct = (x: number): string => x.toFixed(3)
