/**
 * Secret rules, after gitleaks' `config/gitleaks.toml` (the reference rule set): provider keys,
 * tokens, JWTs, private-key blocks and credentials in URLs. Each rule has `needles` (literals found
 * where the rule's match starts — at a word start, or for lower-cased needles after a non-alphanumeric —
 * one of which the text must contain, found for all rules in one pass) so a prompt without, say, `xox` never runs the Slack regex.
 * Where gitleaks pins an exact length (Anthropic's 93 characters + `AA`, OpenAI's `T3BlbkFJ`
 * marker) we accept any length from 20 up: keys are reformatted between generations and a
 * missed key costs more than a redacted look-alike.
 */
import { digitsOf } from "./Checksums.ts"

/** A span-producing rule; `span` maps a match to the part to replace (default: the whole match). */
export interface SpanRule {
  readonly rule: string
  /** Literals one of which the text must contain (`lower: true`: its lower-cased copy) for the rule to run. */
  readonly needles: ReadonlyArray<string>
  readonly lower?: boolean
  /**
   * Every match starts with one of `needles`, as written: the rule is tried only where a needle
   * is (sticky, from `indexOf`) instead of scanning the text. Set on the rules whose regex opens
   * with a look-behind, which irregexp tries at every position (~0.6 µs per rule per 2 KB in
   * `./am bench guard`); a regex that opens with a literal already skips to it natively.
   */
  readonly anchored?: boolean
  readonly pattern: RegExp
  readonly span?: (m: RegExpExecArray, text: string) => readonly [number, number] | undefined
}

const lettersAndDigits = (s: string) => /\d/.test(s) && /[A-Za-z]/.test(s)

/** The last `len` characters of the match (a value captured after its context words). */
const tail = (m: RegExpExecArray, value: string | undefined): readonly [number, number] | undefined => {
  if (value === undefined) return undefined
  const end = m.index + m[0].length
  return [end - value.length, end]
}

/** Looks like a real secret value rather than a word, an identifier or a template placeholder. */
export const secretLike = (v: string): boolean => {
  if (v.length < 8) return false
  if (
    /^(?:\$\{|\$[A-Z_]|<|\{\{|%|process\.env|os\.environ|env\.|x{4,}|\*{3,}|your[_-]|changeme|example|redacted)/i.test(
      v
    )
  )
    return false
  const classes = +/[a-z]/.test(v) + +/[A-Z]/.test(v) + +/\d/.test(v) + +/[^A-Za-z0-9]/.test(v)
  if (classes >= 3) return true
  if (classes === 2 && /\d/.test(v) && v.length >= 10) return digitsOf(v).length < v.length - 2
  return classes === 2 && v.length >= 20 && !/^[a-z]+(?:[A-Z][a-z]+)+$/.test(v)
}

export const SECRET_RULES: ReadonlyArray<SpanRule> = [
  {
    rule: "private_key",
    needles: ["-----BEGIN"],
    pattern:
      /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|(?:\s|\\n|[A-Za-z0-9+/=:,-])+)/g
  },
  {
    rule: "url_credentials",
    needles: ["://"],
    // Found from its literal `://` (fast), the scheme checked backwards.
    pattern: /:\/\/[^\s:@/?#"'<>]{1,128}:[^\s@/?#"'<>]{1,256}@(?=[\w.[-])/g,
    span: (m, text) =>
      /(?:^|[^a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{1,20}$/.test(text.slice(Math.max(0, m.index - 22), m.index))
        ? [m.index + 3, m.index + m[0].length - 1]
        : undefined
  },
  {
    rule: "slack_webhook",
    needles: ["hooks.slack.com"],
    pattern: /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{20,}/g
  },
  { rule: "anthropic_key", anchored: true, needles: ["sk-ant-"], pattern: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  {
    rule: "openai_key",
    anchored: true,
    needles: ["sk-"],
    pattern: /(?<![\w-])sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}/g,
    span: (m) => (lettersAndDigits(m[0].slice(3)) ? [m.index, m.index + m[0].length] : undefined)
  },
  {
    rule: "stripe_key",
    anchored: true,
    needles: ["sk_live_", "rk_live_", "sk_test_", "rk_test_"],
    pattern: /(?<![\w-])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g
  },
  { rule: "google_api_key", needles: ["AIza"], pattern: /AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  {
    rule: "aws_access_key",
    needles: ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
    pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g
  },
  {
    rule: "aws_secret_key",
    needles: ["aws", "secret"],
    lower: true,
    pattern: /(?:aws|secret)[\w .-]{0,30}?["']?\s*(?:=|:|=>|\bis\b)\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    span: (m) => (lettersAndDigits(m[1]!) ? tail(m, m[1]) : undefined)
  },
  {
    rule: "github_token",
    needles: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    pattern: /\bgh[pousr]_[0-9A-Za-z]{30,}\b/g
  },
  { rule: "github_pat", needles: ["github_pat_"], pattern: /\bgithub_pat_[0-9A-Za-z_]{22,}/g },
  { rule: "gitlab_pat", needles: ["glpat-"], pattern: /\bglpat-[\w-]{20,}/g },
  { rule: "slack_token", needles: ["xox"], pattern: /\bxox[abposre]-[0-9A-Za-z-]{10,}/g },
  { rule: "slack_app_token", needles: ["xapp-"], pattern: /\bxapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+/g },
  {
    rule: "jwt",
    needles: ["eyJ"],
    pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g
  },
  {
    rule: "bearer_token",
    needles: ["Bearer", "bearer"],
    pattern: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)/g,
    span: (m) => tail(m, m[1])
  },
  {
    rule: "assigned_secret",
    needles: ["pass", "pwd", "secret", "token", "client", "api", "access", "auth", "refresh"],
    lower: true,
    pattern:
      /\b(?:password|passwd|passphrase|pwd|pass|secret|client[_-]?secret|api[_-]?key|access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|token)\b["']?\s*(?:=|:|=>|\bis\b)\s*["']?([^\s"'`,;(){}[\]<>]{8,200})(?=[\s"'`,;)}\]>.]|$)/gi,
    span: (m) => (secretLike(m[1]!) ? tail(m, m[1]) : undefined)
  }
]
