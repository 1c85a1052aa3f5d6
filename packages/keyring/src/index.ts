/**
 * `@am/keyring` — API-key pools per provider: lease a healthy key, penalise it by failure class
 * (rate limits per key and model, quota, invalid keys), heal it over time, never expose a secret.
 *
 * @since 0.1.0
 */
export * from "./Keyring.ts"
