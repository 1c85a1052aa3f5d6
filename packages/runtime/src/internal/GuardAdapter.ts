/**
 * The config's `guards` as the engine's `RequestGuard`: `@am/guard`'s pure functions behind
 * core's interface (the engine never imports `@am/guard`). One resolved config per engine; one
 * vault per request, inside its session, never leaving it.
 *
 * @internal
 */
import type {
  AnswerVerifier,
  AssistantMessage,
  ChatMessage,
  CompletionRequest,
  Content,
  GuardedInput,
  GuardEventInput,
  GuardRefusal,
  GuardSession,
  GuardVerdict,
  OutputCheck,
  OutputContractCheck,
  OutputLimit,
  OutputSpec,
  RequestGuardShape
} from "@am/core"
import {
  checkOutput,
  checkRequestSize,
  contractOfResponseFormat,
  ENTITIES,
  type GuardConfig,
  guardInputEvents,
  guardRequest,
  limitAnswer,
  PLACEHOLDER,
  repairMessages,
  resolveGuardConfig,
  restore,
  restoreMessage,
  parseVerdict,
  routeVerifier,
  sanitizeOutput,
  maskSecrets,
  scrub,
  secretSet,
  streamLimiter,
  streamRestorer,
  streamSanitizer,
  streamSecretMasker,
  unusableContract,
  type Vault,
  type VerifyConfig,
  validateOutputAsync,
  verifierMessages
} from "@am/guard"
import { Effect } from "effect"

/** `⟦EMAIL_1⟧` → `⟦EMAIL⟧`: what a placeholder may show outside the request (its type only). */
const unnumbered = (text: string): string =>
  text.includes("⟦") ? text.replace(PLACEHOLDER, (_p, label: string) => `⟦${label}⟧`) : text

const maskContent = (c: Content | null): Content | null =>
  c === null || typeof c === "string"
    ? c === null
      ? c
      : unnumbered(c)
    : c.map((p) => (p.type === "text" ? { ...p, text: unnumbered(p.text) } : p))

/** The messages the audit trail keeps: placeholders reduced to their type. */
const auditMessages = (messages: ReadonlyArray<ChatMessage>): ReadonlyArray<ChatMessage> =>
  messages.map((m) => {
    const content = maskContent(m.content)
    if (m.role !== "assistant" || m.toolCalls === undefined) return { ...m, content } as ChatMessage
    return {
      ...m,
      content,
      toolCalls: m.toolCalls.map((t) => ({ ...t, arguments: unnumbered(t.arguments) }))
    } as ChatMessage
  })

const session = (vault: Vault, secrets: ReadonlyArray<string>): GuardSession => ({
  restore: (text) => restore(text, vault),
  restoreMessage: (message: AssistantMessage) => restoreMessage(message, vault),
  streamRestorer: () => streamRestorer(vault),
  streamJsonRestorer: () => streamRestorer(vault, { json: true }),
  mask: (text, maxLength) =>
    scrub(
      unnumbered(text),
      vault.size === 0 ? secrets : [...secrets, ...vault.values()],
      maxLength === undefined ? {} : { maxLength }
    )
})

const verdictOf = (out: ReturnType<typeof guardRequest>): GuardVerdict => {
  const { pii, injection } = out.request
  return {
    ...(pii.length > 0 ? { pii: pii.length, piiEntities: [...new Set(pii.map((f) => f.entity))] } : {}),
    ...(injection !== undefined
      ? {
          injectionScore: injection.score,
          injectionVerdict: out._tag === "Blocked" && out.error.reason === "injection" ? "block" : injection.verdict,
          ...(injection.rules[0] !== undefined ? { injectionRule: injection.rules[0] } : {})
        }
      : {})
  }
}

/**
 * A guarded request: the audit's copy (placeholders reduced to their type) is made when a
 * recorder reads it, not on every request — nothing else does. A class, not an object literal
 * with a getter: V8 gives each such literal a map of its own in old space, which kept the
 * request's messages and outcome alive through the next scavenge.
 */
class Guarded implements GuardedInput {
  readonly messages: ReadonlyArray<ChatMessage>
  readonly verdict: GuardVerdict
  readonly events: ReadonlyArray<GuardEventInput>
  readonly refusal: GuardRefusal | undefined
  readonly session: GuardSession
  #audit: ReadonlyArray<ChatMessage> | undefined
  readonly #masked: boolean
  // No parameter properties: sources run under Node's type stripping in benchmarks.
  constructor(
    messages: ReadonlyArray<ChatMessage>,
    masked: boolean,
    verdict: GuardVerdict,
    events: ReadonlyArray<GuardEventInput>,
    refusal: GuardRefusal | undefined,
    session: GuardSession
  ) {
    this.messages = messages
    this.#masked = masked
    this.verdict = verdict
    this.events = events
    this.refusal = refusal
    this.session = session
  }
  get audit(): ReadonlyArray<ChatMessage> {
    this.#audit ??= this.#masked ? auditMessages(this.messages) : this.messages
    return this.#audit
  }
}

/**
 * The routes' verifiers (`guards.verify`), one object per route built once; `undefined` when
 * verification is off, so an engine without it adds nothing to any request.
 */
const verifiersOf = (verify: VerifyConfig): ((route: string) => AnswerVerifier | undefined) | undefined => {
  if (!verify.enabled) return undefined
  const maxChars = verify.maxChars
  const built = new Map<string, AnswerVerifier | undefined>()
  return (route) => {
    if (built.has(route)) return built.get(route)
    const r = routeVerifier(verify, route)
    const v: AnswerVerifier | undefined =
      r === undefined
        ? undefined
        : {
            provider: r.verifier.provider,
            model: r.verifier.model,
            threshold: r.threshold,
            messages: (request, answer) =>
              verifierMessages({ request, answer, ...(maxChars !== undefined ? { maxChars } : {}) }),
            judge: parseVerdict
          }
    // Bounded by the routes and model names requests name (a route not verified is kept as such).
    if (built.size < 10_000) built.set(route, v)
    return v
  }
}

const within = (text: string): OutputLimit => ({ text, removed: 0, truncated: false })

/**
 * The engine's `RequestGuard` for the config's `guards` section. `secrets` are the configured
 * provider and gateway keys: masked in every answer (complete and streamed) and in every error
 * text, whatever the guards' policies.
 */
export const makeRequestGuard = (
  config: GuardConfig | undefined,
  secrets: ReadonlyArray<string> = []
): RequestGuardShape => {
  const resolved = resolveGuardConfig(config ?? {})
  const keys = secretSet(secrets)
  const masksKeys = keys.secrets.length > 0
  const piiOn = ENTITIES.some((e) => resolved.pii[e] !== "off")
  const limits = resolved.limits
  const sizeChecked = limits.maxRequestChars !== undefined || limits.maxRequestCharsByModel !== undefined
  const enabled = piiOn || resolved.injection !== "off" || sizeChecked
  // Sanitisation and the answer limit apply when the config asks for them.
  const limitsOutput = config?.sanitize !== undefined || limits.maxAnswerChars !== undefined || masksKeys

  const protect = (request: CompletionRequest): GuardedInput => {
    const out = guardRequest(request.messages, resolved)
    const events: Array<GuardEventInput> = guardInputEvents(out) as Array<GuardEventInput>
    const sent = out.request.messages
    let refusal: GuardRefusal | undefined
    if (out._tag === "Blocked") {
      const e = out.error
      refusal = {
        reason: e.reason,
        rule: e.rule,
        score: e.score,
        entity: e.entity,
        message:
          e.reason === "injection"
            ? `the request was blocked by the injection guard (rule ${e.rule}, score ${e.score.toFixed(2)}${e.where !== undefined ? `, message ${e.where.message} ${e.where.part}` : ""})`
            : `the request was blocked by the PII guard: it contains a ${e.entity ?? "sensitive value"} (rule ${e.rule}), whose policy is block`
      }
    } else if (sizeChecked) {
      const tooLarge = checkRequestSize(sent, request.model ?? request.route ?? "default", limits)
      if (tooLarge !== undefined) {
        events.push({ topic: "guard.blocked", reason: "request_too_large", rule: "limits.maxRequestChars" })
        refusal = { reason: "request_too_large", rule: "limits.maxRequestChars", score: 1, message: tooLarge.message }
      }
    }
    return new Guarded(sent, piiOn, verdictOf(out), events, refusal, session(out.request.vault, keys.secrets))
  }

  const contract = (spec: OutputSpec): OutputContractCheck | undefined => {
    if (spec._tag === "StandardSchema") {
      const schema = spec.schema
      return {
        kind: "standard_schema",
        check: (text) => Effect.promise(() => validateOutputAsync(schema, text)) as Effect.Effect<OutputCheck>
      }
    }
    const c = contractOfResponseFormat(spec.format)
    if (c === undefined) return undefined
    const unusable = unusableContract(c)
    const jsonSchema = spec.format.type === "json_schema" ? spec.format.schema : undefined
    return {
      kind: c._tag === "JsonSchema" ? "json_schema" : "json_object",
      check: (text) =>
        Effect.sync(
          (): OutputCheck =>
            unusable !== undefined
              ? { _tag: "Invalid", issues: [{ path: "", message: `the JSON Schema cannot be used: ${unusable}` }] }
              : checkOutput(c, text)
        ),
      ...(jsonSchema !== undefined ? { jsonSchema } : {})
    }
  }

  const limit = (text: string): OutputLimit => {
    const unkeyed = masksKeys ? maskSecrets(text, keys) : text
    const clean = config?.sanitize !== undefined ? sanitizeOutput(unkeyed, resolved.sanitize) : unkeyed
    const removed = unkeyed.length - clean.length
    const l = limitAnswer(clean, limits)
    switch (l._tag) {
      case "Within":
        return { text: l.text, removed: Math.max(0, removed), truncated: false }
      case "Truncated":
        return { text: l.text, removed: Math.max(0, removed), truncated: true }
      case "TooLarge":
        return {
          text: clean,
          removed: Math.max(0, removed),
          truncated: false,
          tooLarge: { limit: l.error.limit, size: l.error.size }
        }
    }
  }

  const verifierFor = verifiersOf(resolved.verify)
  return {
    enabled,
    limitsOutput,
    ...(verifierFor !== undefined ? { verifierFor } : {}),
    protect,
    contract,
    repair: (messages, answer, issues, c) =>
      repairMessages(messages, answer, issues, c.jsonSchema !== undefined ? { jsonSchema: c.jsonSchema } : {}),
    limit,
    streamOutput: () => {
      const sanitizer = config?.sanitize !== undefined ? streamSanitizer(resolved.sanitize) : undefined
      const limiter = streamLimiter(limits)
      const step = (chunk: string): OutputLimit => {
        const l = limiter.push(chunk)
        return l._tag === "TooLarge"
          ? { ...within(""), tooLarge: { limit: l.error.limit, size: l.error.size } }
          : { text: l.text, removed: 0, truncated: l._tag === "Truncated" }
      }
      const masker = masksKeys ? streamSecretMasker(keys) : undefined
      const unkeyed = (chunk: string) => (masker === undefined ? chunk : masker.push(chunk))
      return {
        push: (chunk) => step(sanitizer === undefined ? unkeyed(chunk) : sanitizer.push(unkeyed(chunk))),
        end: () => {
          const rest = masker?.end() ?? ""
          return step(sanitizer === undefined ? rest : sanitizer.push(rest) + sanitizer.end())
        }
      }
    },
    scrub: (text) => scrub(text, keys.secrets)
  }
}
