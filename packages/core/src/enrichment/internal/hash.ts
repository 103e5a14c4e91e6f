/**
 * A small, stable, non-cryptographic hash for cache keys and versions: the
 * same input gives the same 16 hex characters on every platform.
 *
 * @internal
 */

/** Sorts object keys recursively, so equal values print equally. @internal */
export const canonical = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(canonical)
  if (typeof u === "object" && u !== null) {
    return Object.fromEntries(
      Object.keys(u).sort().map((k) => [k, canonical((u as Record<string, unknown>)[k])])
    )
  }
  return u
}

const FNV_OFFSET = 0xcbf29ce484222325n
const FNV_PRIME = 0x100000001b3n

/** 64-bit FNV-1a over the UTF-8 bytes, as 16 hex digits (core has no node:crypto). @internal */
export const hash = (text: string): string => {
  let h = FNV_OFFSET
  for (const byte of new TextEncoder().encode(text)) {
    h = BigInt.asUintN(64, (h ^ BigInt(byte)) * FNV_PRIME)
  }
  return h.toString(16).padStart(16, "0")
}

/** The hash of a value's canonical JSON. @internal */
export const hashValue = (u: unknown): string => hash(JSON.stringify(canonical(u)))
