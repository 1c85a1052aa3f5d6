/**
 * The circuits one `Breakers` instance knows: a provider entry (its circuit, its breaker and
 * its models' circuits) per provider, created on first use, and every circuit's owner by name
 * for the events and the snapshot.
 *
 * @internal
 */
import type { CircuitBreaker } from "effect/persistence"
import { type BreakersConfig, resolvePolicy } from "../BreakerPolicy.ts"
import { modelBreakerName, providerBreakerName } from "../Circuits.ts"
import type { BreakerOwner } from "./Observe.ts"

export interface ProviderEntry {
  readonly owner: BreakerOwner
  readonly breaker: CircuitBreaker.CircuitBreaker
  /** A consecutive-failures policy: calls may take the clean-circuit fast path (in-process store). */
  readonly consecutive: boolean
  readonly models: Map<string, BreakerOwner>
}

export interface Registry {
  readonly entryFor: (provider: string) => ProviderEntry
  readonly modelOwnerFor: (entry: ProviderEntry, model: string) => BreakerOwner
}

// Names are built by `Circuits.ts`; parsing is only the fallback for a key this instance never registered.
export const parseName = (name: string): BreakerOwner => {
  if (name.startsWith("model:")) {
    const rest = name.slice("model:".length)
    const slash = rest.indexOf("/")
    return slash < 0 ? { name, provider: rest } : { name, provider: rest.slice(0, slash), model: rest.slice(slash + 1) }
  }
  return { name, provider: name.startsWith("provider:") ? name.slice("provider:".length) : name }
}

/**
 * A registry holding the configured providers and `models`; every owner it creates is recorded
 * in `owners`, which is the caller's because the store's observer reads it and the observed
 * store has to exist before the breakers do.
 */
export const make = (
  config: BreakersConfig,
  owners: Map<string, BreakerOwner>,
  breakerFor: (provider: string) => CircuitBreaker.CircuitBreaker
): Registry => {
  const isConsecutive = (provider: string) =>
    resolvePolicy(config.defaults, config.providers?.[provider]).tripPolicy._tag === "Consecutive"
  const entries = new Map<string, ProviderEntry>()
  const entryFor = (provider: string): ProviderEntry => {
    const existing = entries.get(provider)
    if (existing !== undefined) return existing
    const owner: BreakerOwner = { name: providerBreakerName(provider), provider }
    const entry: ProviderEntry = {
      owner,
      breaker: breakerFor(provider),
      consecutive: isConsecutive(provider),
      models: new Map()
    }
    entries.set(provider, entry)
    owners.set(owner.name, owner)
    return entry
  }
  const modelOwnerFor = (entry: ProviderEntry, model: string): BreakerOwner => {
    const existing = entry.models.get(model)
    if (existing !== undefined) return existing
    const owner: BreakerOwner = {
      name: modelBreakerName(entry.owner.provider, model),
      provider: entry.owner.provider,
      model
    }
    entry.models.set(model, owner)
    owners.set(owner.name, owner)
    return owner
  }
  // Known from the start, so `snapshot` lists them before their first call.
  for (const id of Object.keys(config.providers ?? {})) entryFor(id)
  for (const [id, models] of Object.entries(config.models ?? {})) {
    const entry = entryFor(id)
    for (const model of models) modelOwnerFor(entry, model)
  }
  return { entryFor, modelOwnerFor }
}
