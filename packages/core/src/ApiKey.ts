/**
 * API keys: the secret stays `Redacted`; everything outside the provider call uses the key's
 * id and fingerprint.
 *
 * @example
 * ```ts
 * import { ApiKey } from "@am/core"
 * import { Redacted } from "effect"
 * const key = ApiKey.make("k1", Redacted.make("sk-test-123"))
 * key.fingerprint // "fp_…" (12 hex digits of SHA-256), never the secret
 * ```
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Redacted } from "effect"

/**
 * A key fingerprint: `fp_` + the first 12 hex digits of SHA-256 over the secret. Enough to tell
 * keys apart in logs and to match a key an operator holds; useless for recovering the secret.
 */
export const fingerprint = (secret: Redacted.Redacted<string> | string): string =>
  `fp_${createHash("sha256")
    .update(typeof secret === "string" ? secret : Redacted.value(secret))
    .digest("hex")
    .slice(0, 12)}`

export interface ApiKey {
  readonly id: string
  readonly secret: Redacted.Redacted<string>
  readonly fingerprint: string
}

/** What may leave the provider call: the key's id and fingerprint. */
export interface KeyRef {
  readonly id: string
  readonly fingerprint: string
}

export const ApiKey = {
  make: (id: string, secret: Redacted.Redacted<string>): ApiKey => ({ id, secret, fingerprint: fingerprint(secret) }),
  ref: (key: ApiKey): KeyRef => ({ id: key.id, fingerprint: key.fingerprint })
}
