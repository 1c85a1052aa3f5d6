import { ApiKey, type Classification, EventBus, EventLog, type FailureClass, type ResilienceEvent } from "@am/core"
import { Effect, Layer, Redacted } from "effect"
import { type KeyOutcome, Keyring, type KeyringConfig } from "../src/index.ts"

/** The secret of key `k<i>`: distinctive, so a leak is easy to find in any JSON. */
export const secretOf = (i: number) => `sk-test-keyring-SECRET-${i}-0123456789`

export const makeKeys = (n: number, weights: ReadonlyArray<number> = []) =>
  Array.from({ length: n }, (_, i) => {
    const key = ApiKey.make(`k${i + 1}`, Redacted.make(secretOf(i + 1)))
    const weight = weights[i]
    return weight === undefined ? key : { ...key, weight }
  })

/** The keyring plus the recording event bus (EventBus + EventLog). */
export const testLayer = (config: KeyringConfig) =>
  Keyring.layerMemory(config).pipe(Layer.provideMerge(EventBus.layerMemory))

export const classification = (cls: FailureClass, extra: Partial<Classification> = {}): Classification => ({
  class: cls,
  scope: "key",
  retryable: true,
  errorType: cls,
  rule: `test.${cls}`,
  ...extra
})

export const failure = (cls: FailureClass, extra: Partial<Classification> = {}): KeyOutcome => ({
  _tag: "Failure",
  classification: classification(cls, extra)
})

export const success: KeyOutcome = { _tag: "Success" }

/** Leases `n` times in a row and returns the key ids. */
export const leaseIds = (provider: string, model: string, n: number) =>
  Keyring.use((keyring) =>
    Effect.forEach(Array.from({ length: n }), () => Effect.map(keyring.lease(provider, model), (k) => k.id))
  )

export const events = EventLog.use((log) => log.all)

export const eventsOf = <T extends ResilienceEvent["topic"]>(topic: T) =>
  Effect.map(events, (all) => all.filter((e): e is Extract<ResilienceEvent, { topic: T }> => e.topic === topic))

export const snapshotOf = (id: string) =>
  Keyring.use((k) => k.snapshot).pipe(Effect.map((all) => all.find((s) => s.id === id)!))
