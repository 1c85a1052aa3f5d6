/**
 * Client authentication with gateway keys (`gatewayKeys` in the config). Each key maps to a
 * workspace that the ledger and `llm_runs` record. Comparison is constant-time: every
 * configured key is compared (as SHA-256 digests, so lengths never differ) whatever matches.
 * With no gateway keys configured, every caller is the `local` workspace — and the server
 * refuses to bind anything but loopback (see `Gateway`).
 *
 * @example
 * ```ts
 * import { makeAuth } from "@am/gateway"
 * import { Redacted } from "effect"
 * const auth = makeAuth([{ id: "team-a", secret: Redacted.make("am-key"), workspace: "team-a" }])
 * auth.authenticate("Bearer am-key") // { keyId: "team-a", workspaceId: "team-a" }
 * ```
 * @since 0.1.0
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Redacted } from "effect"
import { GatewayError, Unauthorized } from "./GatewayError.ts"

export interface GatewayKey {
  readonly id: string
  readonly secret: Redacted.Redacted<string>
  readonly workspace: string
}

/** Who a request is from. */
export interface Principal {
  readonly keyId: string
  readonly workspaceId: string
}

export interface Auth {
  /** Whether keys are configured (else every caller is the local workspace). */
  readonly required: boolean
  /** The principal for an `Authorization` header value, or why not. */
  readonly authenticate: (authorization: string | undefined) => Principal | { readonly error: string }
}

/** The workspace of unauthenticated loopback callers when no gateway keys are configured. */
export const LOCAL_WORKSPACE = "local"

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

export const makeAuth = (keys: ReadonlyArray<GatewayKey>): Auth => {
  const digests = keys.map((k) => ({ key: k, digest: digest(Redacted.value(k.secret)) }))
  if (digests.length === 0) {
    return { required: false, authenticate: () => ({ keyId: "none", workspaceId: LOCAL_WORKSPACE }) }
  }
  return {
    required: true,
    authenticate: (authorization) => {
      if (authorization === undefined || authorization.length === 0) {
        return { error: "missing Authorization header (expected: Bearer <gateway key>)" }
      }
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
      if (m === null) return { error: "malformed Authorization header (expected: Bearer <gateway key>)" }
      const presented = digest(m[1]!)
      let found: GatewayKey | undefined
      // No early exit: the time taken doesn't depend on which key (if any) matched.
      for (const d of digests) {
        if (timingSafeEqual(presented, d.digest) && found === undefined) found = d.key
      }
      return found === undefined ? { error: "invalid gateway key" } : { keyId: found.id, workspaceId: found.workspace }
    }
  }
}

/** The principal for an `Authorization` header value, or `GatewayError(Unauthorized)`. */
export const authenticate = (auth: Auth, authorization: string | undefined): Effect.Effect<Principal, GatewayError> => {
  const result = auth.authenticate(authorization)
  return "error" in result
    ? Effect.fail(new GatewayError({ reason: new Unauthorized({ detail: result.error }) }))
    : Effect.succeed(result)
}

/** Whether a host string binds loopback only. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)
