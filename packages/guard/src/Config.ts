/**
 * The guard config — the `guards` section of the config file — as an Effect Schema.
 *
 * ```json
 * { "pii": "redact", "injection": "block", "injectionThresholds": { "flag": 0.4, "block": 0.6 } }
 * { "pii": { "email": "redact", "secret": "block", "ip": "off" }, "injection": "flag" }
 * { "sanitize": { "html": "escape" }, "limits": { "maxRequestChars": 200000, "maxAnswerChars": 20000, "answerOverflow": "fail" } }
 * { "verify": { "enabled": true, "verifier": { "provider": "judge", "model": "gpt-4o-mini" }, "threshold": 0.7 } }
 * ```
 *
 * @example
 * ```ts
 * import { GuardConfig } from "@am/guard"
 * import { Schema } from "effect"
 * Schema.decodeUnknownSync(GuardConfig)({ pii: "redact", injection: "block" })
 * ```
 * @since 0.1.0
 */
import { Schema } from "effect"
import { PiiAction, type PiiPolicy, piiPolicy } from "./Entity.ts"
import { DEFAULT_THRESHOLDS, type InjectionThresholds } from "./Firewall.ts"
import { DEFAULT_LIMITS, type SizeLimits } from "./Limits.ts"
import { DEFAULT_SANITIZE, type SanitizePolicy } from "./Sanitize.ts"
import { DEFAULT_VERIFY, type VerifyConfig, VerifySchema } from "./Verify.ts"

/** Firewall policy: fail the request, let it through with the verdict recorded, or skip scoring. */
export const InjectionMode = Schema.Literals(["block", "flag", "off"])
export type InjectionMode = typeof InjectionMode.Type

const Score = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

export const InjectionThresholdsSchema = Schema.Struct({ flag: Score, block: Score }).check(
  Schema.makeFilter((t: { flag: number; block: number }) =>
    t.flag <= t.block ? undefined : "flag must not be above block"
  )
)

/** A per-entity PII policy; entities left out are `redact`. */
export const PiiPerEntity = Schema.Struct({
  email: Schema.optionalKey(PiiAction),
  phone: Schema.optionalKey(PiiAction),
  card: Schema.optionalKey(PiiAction),
  iban: Schema.optionalKey(PiiAction),
  ssn: Schema.optionalKey(PiiAction),
  ip: Schema.optionalKey(PiiAction),
  secret: Schema.optionalKey(PiiAction)
})

const Chars = Schema.Int.check(Schema.isGreaterThan(0))

/** Output sanitisation: control characters (default `strip`), HTML (default `keep`). */
export const SanitizeSchema = Schema.Struct({
  controlChars: Schema.optionalKey(Schema.Literals(["strip", "keep"])),
  html: Schema.optionalKey(Schema.Literals(["keep", "strip", "escape"]))
})

/** Size limits in characters of text; none by default. */
export const LimitsSchema = Schema.Struct({
  maxRequestChars: Schema.optionalKey(Chars),
  maxRequestCharsByModel: Schema.optionalKey(Schema.Record(Schema.String, Chars)),
  maxAnswerChars: Schema.optionalKey(Chars),
  answerOverflow: Schema.optionalKey(Schema.Literals(["truncate", "fail"]))
})

export const GuardConfig = Schema.Struct({
  /** One action for every entity, or a per-entity record (entities left out are `redact`). */
  pii: Schema.optionalKey(Schema.Union([PiiAction, PiiPerEntity])),
  injection: Schema.optionalKey(InjectionMode),
  injectionThresholds: Schema.optionalKey(InjectionThresholdsSchema),
  sanitize: Schema.optionalKey(SanitizeSchema),
  limits: Schema.optionalKey(LimitsSchema),
  verify: Schema.optionalKey(VerifySchema)
})
export type GuardConfig = typeof GuardConfig.Type

/** A config with every default filled in. */
export interface ResolvedGuardConfig {
  readonly pii: PiiPolicy
  readonly injection: InjectionMode
  readonly thresholds: InjectionThresholds
  readonly sanitize: SanitizePolicy
  readonly limits: SizeLimits
  readonly verify: VerifyConfig
}

/**
 * Fills the defaults: `pii: "off"` and `injection: "off"` when absent (guards are opt-in), the
 * default thresholds, control characters stripped and HTML kept, no size limits (answers over a
 * configured `maxAnswerChars` are truncated), self-verification off at threshold 0.7.
 *
 * @example
 * ```ts
 * import { resolveGuardConfig } from "@am/guard"
 * resolveGuardConfig({ pii: { secret: "block" } }).pii.email // "redact"
 * resolveGuardConfig({}).pii.email // "off"
 * ```
 */
export const resolveGuardConfig = (config: GuardConfig): ResolvedGuardConfig => ({
  pii: config.pii === undefined ? piiPolicy("off") : piiPolicy(config.pii),
  injection: config.injection ?? "off",
  thresholds: config.injectionThresholds ?? DEFAULT_THRESHOLDS,
  sanitize: { ...DEFAULT_SANITIZE, ...config.sanitize },
  limits: { ...DEFAULT_LIMITS, ...config.limits },
  verify: { ...DEFAULT_VERIFY, ...config.verify }
})
