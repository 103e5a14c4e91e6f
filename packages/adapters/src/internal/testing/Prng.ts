/**
 * A small seeded pseudo-random generator (mulberry32) and a string hash
 * (FNV-1a) for the fake vendors. Two uses:
 *
 * - per-entity data: `Prng.forKey(seed, "acme.example")` gives a generator
 *   that yields the same numbers for the same seed and key, so the same
 *   company always gets the same contacts, emails and verdicts;
 * - fault injection: `FakeServer` keeps one generator per server (seeded by
 *   the server's seed) and draws from it for every request.
 *
 * Generators are plain closures created by the caller; nothing lives at
 * module scope.
 *
 * @internal
 */

/** A generator of floats in [0, 1). @internal */
export type Prng = () => number

/**
 * FNV-1a 32-bit hash of a string.
 *
 * @internal
 */
export const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * A mulberry32 generator from a 32-bit seed.
 *
 * @internal
 */
export const make = (seed: number): Prng => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A generator determined by a seed and a key (a domain, an email).
 *
 * @internal
 */
export const forKey = (seed: number, key: string): Prng => make(hash(`${seed}:${key}`))

/**
 * An integer in [min, max], inclusive.
 *
 * @internal
 */
export const int = (prng: Prng, min: number, max: number): number => min + Math.floor(prng() * (max - min + 1))

/**
 * One element of a non-empty array.
 *
 * @internal
 */
export const pick = <A>(prng: Prng, items: readonly [A, ...Array<A>]): A =>
  items[Math.floor(prng() * items.length)] ?? items[0]

/**
 * A version-4-shaped UUID drawn from the generator (for `request_id`s).
 *
 * @internal
 */
export const uuid = (prng: Prng): string => {
  const hex = Array.from({ length: 32 }, () => Math.floor(prng() * 16).toString(16))
  hex[12] = "4"
  hex[16] = ((Math.floor(prng() * 4) + 8)).toString(16)
  const s = hex.join("")
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}
