/**
 * `@am/ledger` — the tamper-evident audit ledger: one redacted, hash-chained entry per request,
 * an outage spool, `verify`, the resilience score and an in-memory store.
 *
 * @since 0.1.0
 */
export * from "./Chain.ts"
export * as Ledger from "./Ledger.ts"
export {
  buildEntry,
  DEFAULT_PREVIEW_LENGTHS,
  DEFAULT_SPOOL_DIR,
  type LedgerOptions,
  type PreviewLengths,
  replayedCounter,
  spooledCounter
} from "./Ledger.ts"
export * from "./MemoryLedgerStore.ts"
export * from "./Redact.ts"
export * from "./ResilienceScore.ts"
export { LedgerSpool } from "./Ledger.ts"
