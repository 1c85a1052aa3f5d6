/**
 * `@am/guard` — guards for LLM requests: PII and secret detection with a reversible per-request
 * vault (complete and streamed restoration), a prompt-injection firewall for user and indirect
 * content, output contracts (Standard Schema, JSON Schema) with the repair instruction,
 * sanitisation and size limits, self-verification prompts, `scrub` for error messages, and the
 * `guard.*` event payloads. Pure functions, and the `Guard` service over them.
 *
 * @since 0.1.0
 */
export * from "./Config.ts"
export * from "./Contract.ts"
export * from "./Detect.ts"
export * from "./Entity.ts"
export * from "./Errors.ts"
export * from "./Events.ts"
export * from "./Firewall.ts"
export { Guard, type GuardedRequest, type GuardOutcome, guardRequest, make as makeGuard } from "./Guard.ts"
export * from "./JsonSchemaContract.ts"
export * from "./Limits.ts"
export * from "./OutputContract.ts"
export * from "./Redact.ts"
export * from "./RedactMessages.ts"
export * from "./Repair.ts"
export * from "./Restore.ts"
export * from "./Sanitize.ts"
export * from "./ScanMessages.ts"
export * from "./Secrets.ts"
export * from "./Scrub.ts"
export * from "./Vault.ts"
export * from "./Verify.ts"
export { ibanChecksum, luhn, ssnValid } from "./internal/Checksums.ts"
