/**
 * Client authentication with gateway keys (`gatewayKeys` in the config). Each key maps to a
 * workspace that the ledger and `llm_runs` record, and carries a role: `workspace` (default)
 * sees only its own workspace's traffic on the operator surfaces; `admin` sees every workspace
 * and may take provider keys out of rotation and override breakers. A key may be configured as
 * its SHA-256 (`"sha256:<64 hex>"`), so the config file holds no plaintext. Comparison is
 * constant-time: every configured key is compared (as SHA-256 digests, so lengths never differ)
 * whatever matches.
 * With no gateway keys configured, every caller is the `local` workspace — and the server
 * refuses to bind anything but loopback (see `Gateway`).
 *
 * @example
 * ```ts
 * import { makeAuth } from "@am/gateway"
 * import { Redacted } from "effect"
 * const auth = makeAuth([{ id: "team-a", secret: Redacted.make("am-key"), workspace: "team-a" }])
 * auth.authenticate("Bearer am-key") // { keyId: "team-a", workspaceId: "team-a", role: "workspace" }
 * ```
 * @since 0.1.0
 */
import { hash, timingSafeEqual } from "node:crypto"
import { Effect, Redacted } from "effect"
import { HttpServerResponse } from "effect/http"
import { requestIdHeaders } from "./AmHeaders.ts"
import { GatewayError, Unauthorized } from "./GatewayError.ts"

/** What a gateway key may do: its own workspace's traffic, or everything (operators). */
export type GatewayRole = "workspace" | "admin"

export interface GatewayKey {
  readonly id: string
  /** The key, or its SHA-256 as `sha256:<64 hex>`. */
  readonly secret: Redacted.Redacted<string>
  readonly workspace: string
  /** Default `workspace`. */
  readonly role?: GatewayRole | undefined
}

/** Who a request is from. */
export interface Principal {
  readonly keyId: string
  readonly workspaceId: string
  readonly role: GatewayRole
}

export interface Auth {
  /** Whether keys are configured (else every caller is the local workspace). */
  readonly required: boolean
  /** The principal for an `Authorization` header value, or why not. */
  readonly authenticate: (authorization: string | undefined) => Principal | { readonly error: string }
}

/** The workspace of unauthenticated loopback callers when no gateway keys are configured. */
export const LOCAL_WORKSPACE = "local"

// One-shot `crypto.hash` (no Hash object per request): ~1 µs less per authenticated request than createHash.
const digest = (s: string): Buffer => hash("sha256", s, "buffer")

const DIGEST = /^sha256:([0-9a-fA-F]{64})$/

/** The SHA-256 a presented key is compared with: the configured digest, or the plaintext's. */
const digestOf = (secret: Redacted.Redacted<string>): Buffer => {
  const value = Redacted.value(secret)
  const m = DIGEST.exec(value)
  return m === null ? digest(value) : Buffer.from(m[1]!, "hex")
}

export const makeAuth = (keys: ReadonlyArray<GatewayKey>): Auth => {
  const digests = keys.map((k) => ({ key: k, digest: digestOf(k.secret) }))
  if (digests.length === 0) {
    // Loopback only (see `Gateway`): the single local operator sees and controls everything.
    return { required: false, authenticate: () => ({ keyId: "none", workspaceId: LOCAL_WORKSPACE, role: "admin" }) }
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
      return found === undefined
        ? { error: "invalid gateway key" }
        : { keyId: found.id, workspaceId: found.workspace, role: found.role ?? "workspace" }
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

/**
 * `403 forbidden` for a workspace key asking for an operator action: OpenAI's error body
 * (`permission_error`, the type the official SDKs map to `PermissionDeniedError`), never retried.
 */
export const forbidden = (action: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(
    {
      error: {
        message: `${action} needs an admin gateway key (this key's role is workspace)`,
        type: "permission_error",
        param: null,
        code: "forbidden"
      }
    },
    { status: 403, headers: { ...requestIdHeaders(), "x-should-retry": "false" } }
  )

/** Whether a principal may see a workspace's rows. */
export const canSee = (principal: Principal, workspaceId: string | undefined): boolean =>
  principal.role === "admin" || workspaceId === principal.workspaceId

/** Whether a host string binds loopback only. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)
