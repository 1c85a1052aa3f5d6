/**
 * A `fetch` wrapper for OpenAI-compatible servers whose error bodies are not OpenAI's
 * `{"error": {...}}`: vLLM's top-level `{"object":"error","message",…,"type",…,"code":400}` and
 * FastAPI's `{"detail": "…"}`. The SDK keeps only a body's `error` field, so such bodies would lose
 * their message (and with it what the classifier matches, e.g. "maximum context length"). Error
 * responses are small; successful ones pass through untouched.
 */
import { Predicate } from "effect"

type Fetch = typeof globalThis.fetch

const rewrap = (body: unknown): unknown => {
  if (!Predicate.isObject(body) || "error" in body) return undefined
  const record = body as Record<string, unknown>
  if (Predicate.isString(record.message)) return { error: record }
  if (Predicate.isString(record.detail)) return { error: { message: record.detail } }
  return undefined
}

export const compatFetch =
  (inner: Fetch): Fetch =>
  async (input, init) => {
    const response = await inner(input, init)
    if (response.ok || !(response.headers.get("content-type") ?? "").includes("json")) return response
    const text = await response.text()
    let wrapped: unknown
    try {
      wrapped = rewrap(JSON.parse(text))
    } catch {
      wrapped = undefined
    }
    const headers = new Headers(response.headers)
    // The body is already decoded and may change length.
    headers.delete("content-length")
    headers.delete("content-encoding")
    return new Response(wrapped === undefined ? text : JSON.stringify(wrapped), {
      status: response.status,
      statusText: response.statusText,
      headers
    })
  }
