/**
 * A bounded LRU of JSON texts for one route: at most `maxEntries` entries and `maxBytes` bytes
 * (UTF-8 of the stored text), each expiring `ttlMs` after it was stored. A `Map` keeps insertion
 * order, so re-inserting on every hit makes its first key the least recently used. Pure data
 * structure: the caller passes the time.
 *
 * @internal
 */

interface Entry {
  readonly json: string
  readonly bytes: number
  readonly expiresAt: number
}

export interface LruLimits {
  readonly ttlMs: number
  readonly maxEntries?: number | undefined
  readonly maxBytes?: number | undefined
}

export class Lru {
  private readonly entries = new Map<string, Entry>()
  private bytes = 0

  private readonly limits: LruLimits

  // No parameter property: Node runs our sources with type stripping only, which rejects them.
  constructor(limits: LruLimits) {
    this.limits = limits
  }

  get size(): number {
    return this.entries.size
  }

  get totalBytes(): number {
    return this.bytes
  }

  get(key: string, now: number): string | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    if (entry.expiresAt <= now) {
      this.bytes -= entry.bytes
      return undefined
    }
    this.entries.set(key, entry)
    return entry.json
  }

  /** Stores `json`; an entry larger than `maxBytes` on its own is not stored. */
  set(key: string, json: string, now: number): boolean {
    const bytes = Buffer.byteLength(json, "utf8")
    this.delete(key)
    if (this.limits.maxBytes !== undefined && bytes > this.limits.maxBytes) return false
    this.entries.set(key, { json, bytes, expiresAt: now + this.limits.ttlMs })
    this.bytes += bytes
    const { maxEntries, maxBytes } = this.limits
    while (
      (maxEntries !== undefined && this.entries.size > maxEntries) ||
      (maxBytes !== undefined && this.bytes > maxBytes)
    ) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.delete(oldest.value)
    }
    return true
  }

  delete(key: string): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.entries.delete(key)
    this.bytes -= entry.bytes
  }
}
