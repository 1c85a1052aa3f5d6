/**
 * Small readers for the lenient wire shapes: counts that may be missing or malformed, fields of
 * unknown objects, tool-call arguments that some servers send as objects, empty strings as absent.
 */
import { Predicate } from "effect"

/** A non-negative whole count, or `undefined` for anything else. */
export const count = (value: unknown): number | undefined =>
  Predicate.isNumber(value) && Number.isFinite(value) && value >= 0 ? Math.trunc(value) : undefined

export const field = (value: unknown, key: string): unknown =>
  Predicate.isObject(value) ? (value as any)[key] : undefined

/** Tool-call arguments as JSON text (some servers send an object). */
export const argumentsText = (value: unknown): string =>
  value == null ? "" : typeof value === "string" ? value : JSON.stringify(value)

export const nonEmpty = (s: string | null | undefined): string | undefined => (s != null && s !== "" ? s : undefined)
