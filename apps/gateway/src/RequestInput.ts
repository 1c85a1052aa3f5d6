/**
 * What the gateway reads from an HTTP request besides the body's meaning: the JSON body
 * (`Content-Type: application/json`, within the size limit, parsed), the `Idempotency-Key`
 * header and the `x-am-deadline-ms` header. Each refusal is a `GatewayError` naming what was
 * wrong.
 *
 * @example
 * ```ts
 * import { readJson } from "@am/gateway"
 * ```
 * @since 0.1.0
 */
import { Effect } from "effect"
import { HttpIncomingMessage, type HttpServerRequest } from "effect/http"
import type { RouteHintsShape } from "@am/runtime"
import { GatewayError, RequestTooLarge, UnsupportedMediaType } from "./GatewayError.ts"

const tooLarge = (maxBytes: number) => new GatewayError({ reason: new RequestTooLarge({ maxBytes }) })

/** The request's body as JSON: declared `application/json`, at most `maxBodyBytes`, well-formed. */
export const readJson = (
  request: HttpServerRequest.HttpServerRequest,
  maxBodyBytes: number
): Effect.Effect<unknown, GatewayError> => Effect.map(readJsonText(request, maxBodyBytes), (body) => body.json)

/**
 * The request's body as {@link readJson} reads it, with its text as received — what a same-wire
 * upstream is sent (unknown fields, number spellings and key order kept).
 */
export const readJsonText: (
  request: HttpServerRequest.HttpServerRequest,
  maxBodyBytes: number
) => Effect.Effect<{ readonly text: string; readonly json: unknown }, GatewayError> = Effect.fnUntraced(function* (
  request: HttpServerRequest.HttpServerRequest,
  maxBodyBytes: number
) {
  const type = request.headers["content-type"]
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
    return yield* new GatewayError({
      reason: new UnsupportedMediaType(type === undefined ? {} : { contentType: type })
    })
  }
  const declared = Number(request.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBodyBytes) return yield* tooLarge(maxBodyBytes)
  const text = yield* request.text.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, maxBodyBytes as never),
    Effect.mapError((e) =>
      e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge"
        ? tooLarge(maxBodyBytes)
        : GatewayError.invalid("the request body could not be read")
    )
  )
  return yield* Effect.try({
    try: () => ({ text, json: JSON.parse(text) as unknown }),
    catch: (e) => GatewayError.invalid(`the request body is not valid JSON: ${(e as Error).message}`)
  })
})

/** The `Idempotency-Key` header: printable ASCII, at most 256 characters. */
export const idempotencyKeyOf = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<string | undefined, GatewayError> => {
  const key = request.headers["idempotency-key"]
  if (key === undefined) return Effect.succeed(undefined)
  return /^[\x21-\x7e]{1,256}$/.test(key)
    ? Effect.succeed(key)
    : Effect.fail(GatewayError.invalid("Idempotency-Key must be 1–256 printable ASCII characters", "Idempotency-Key"))
}

/** The `x-am-deadline-ms` header: the whole request's time budget, a positive integer. */
export const deadlineOf = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<number | undefined, GatewayError> => {
  const raw = request.headers["x-am-deadline-ms"]
  if (raw === undefined) return Effect.succeed(undefined)
  // Digits only: `Number()` would also take "1e3", "0x10", " 5" and "5.0".
  const n = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : Number.NaN
  return Number.isInteger(n) && n > 0
    ? Effect.succeed(n)
    : Effect.fail(GatewayError.invalid("x-am-deadline-ms must be a positive integer", "x-am-deadline-ms"))
}

/**
 * The routing hints of a request (`@am/router`'s `RouteHints`): the `x-am-route` header (a
 * profile, provider or model of the route, see the gateway README) and the body's
 * `metadata.profile`. Whether the route allows them is the router's to say (a 400 naming the
 * field); here only the shape: `metadata.profile` must be a string.
 */
export const routeHintsOf = (
  request: HttpServerRequest.HttpServerRequest,
  json: unknown
): Effect.Effect<RouteHintsShape, GatewayError> => {
  const header = request.headers["x-am-route"]?.trim()
  const metadata =
    json !== null && typeof json === "object" ? (json as { readonly metadata?: unknown }).metadata : undefined
  const profile =
    metadata !== null && typeof metadata === "object" ? (metadata as { readonly profile?: unknown }).profile : undefined
  if (profile !== undefined && typeof profile !== "string") {
    return Effect.fail(GatewayError.invalid("metadata.profile must be a string", "metadata.profile"))
  }
  if ((header === undefined || header === "") && profile === undefined) return Effect.succeed(NO_HINTS)
  return Effect.succeed({
    ...(header !== undefined && header !== "" ? { override: header } : {}),
    ...(profile !== undefined ? { profile } : {})
  })
}

const NO_HINTS: RouteHintsShape = {}
