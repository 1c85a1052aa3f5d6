/**
 * Seeded, pure weighted ordering: the same seed and members give the same order on every replica
 * and every run. Own code because the draw must be a pure function of a string (the request id):
 * Effect's `Random` is a service read inside an effect, and the plan is a pure function.
 *
 * @internal
 */

/** FNV-1a over the UTF-16 code units, then a murmur3 finaliser: a well-mixed 32-bit value. */
const hash32 = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A uniform draw in (0, 1) for `member` under `seed`. */
export const uniform = (seed: string, member: string): number => (hash32(`${seed}\u0000${member}`) + 0.5) / 4294967296

/**
 * `members` in a weighted random order (Efraimidis–Spirakis: each member's key is u^(1/w), larger
 * first), drawn from `seed`. A member with weight w leads with probability w / Σw. Ties — equal
 * keys, practically never — keep the given order.
 */
export const weightedOrder = <A>(
  seed: string,
  members: ReadonlyArray<A>,
  id: (a: A) => string,
  weight: (a: A) => number
): ReadonlyArray<A> =>
  members
    .map((a, i) => ({ a, i, key: Math.log(uniform(seed, id(a))) / Math.max(weight(a), Number.MIN_VALUE) }))
    .sort((x, y) => y.key - x.key || x.i - y.i)
    .map((x) => x.a)
