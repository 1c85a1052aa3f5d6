/**
 * `@am/guard` — input guards for LLM requests: PII and secret detection with a reversible
 * per-request vault (complete and streamed restoration), a prompt-injection firewall for user
 * and indirect content, and `scrub` for error messages. Pure functions, and the `Guard` service
 * over them.
 *
 * @since 0.1.0
 */
export * from "./Config.ts"
export * from "./Detect.ts"
export * from "./Entity.ts"
export * from "./Errors.ts"
export * from "./Firewall.ts"
export { Guard, type GuardedRequest, type GuardOutcome, guardRequest, make as makeGuard } from "./Guard.ts"
export * from "./Redact.ts"
export * from "./RedactMessages.ts"
export * from "./Restore.ts"
export * from "./ScanMessages.ts"
export * from "./Scrub.ts"
export * from "./Vault.ts"
export { ibanChecksum, luhn, ssnValid } from "./internal/Checksums.ts"
