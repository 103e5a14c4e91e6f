/**
 * Percent-encoding normalisation for robots.txt patterns and URL paths
 * (RFC 9309 section 2.2.2), one table look-up per octet.
 *
 * @internal
 */

const hexDigits = "0123456789ABCDEF"

const isUnreserved = (b: number): boolean =>
  (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) ||
  b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e

// Octets kept as they are: unreserved and reserved (RFC 3986), wildcards included,
// except the apostrophe, which WHATWG URLs percent-encode in queries.
const keptPunctuation = ":/?#[]@!$&()*+,;="

const escape = (b: number): string => `%${hexDigits[b >> 4]}${hexDigits[b & 15]}`

const table = (wildcards: boolean): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let b = 0; b < 256; b++) {
    const kept = b < 0x80 && (isUnreserved(b) || keptPunctuation.includes(String.fromCharCode(b)))
    // In a URL path `*` and `$` are plain octets; written as %2A and %24 they
    // compare equal to the same escapes in a pattern (RFC 9309 section 2.2.3).
    const literal = wildcards && (b === 0x2a || b === 0x24)
    out.push(kept && !literal ? String.fromCharCode(b) : escape(b))
  }
  return out
}

const patternTable = table(false)
const pathTable = table(true)

const hexValue = (b: number): number =>
  b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1

/**
 * Normalises `bytes[start, end)`: escapes of unreserved characters are
 * decoded, other escapes get upper-case hex, and every octet outside the
 * reserved and unreserved sets is percent-encoded. With `asPath`, `*` and
 * `$` are encoded too (they are wildcards only in patterns). The result is
 * ASCII, one character per octet, and the work is linear in `end - start`.
 *
 * @internal
 */
export const normalizeOctets = (bytes: Uint8Array, start: number, end: number, asPath: boolean): string => {
  const kept = asPath ? pathTable : patternTable
  let out = ""
  for (let i = start; i < end; i++) {
    const b = bytes[i]!
    if (b === 0x25 && i + 2 < end) {
      const hi = hexValue(bytes[i + 1]!)
      const lo = hexValue(bytes[i + 2]!)
      if (hi >= 0 && lo >= 0) {
        const v = hi * 16 + lo
        out += isUnreserved(v) ? String.fromCharCode(v) : escape(v)
        i += 2
        continue
      }
    }
    out += kept[b]!
  }
  return out
}

const encoder = new TextEncoder()

/**
 * `normalizeOctets` over the UTF-8 encoding of `text`.
 *
 * @internal
 */
export const normalizeText = (text: string, asPath: boolean): string => {
  const bytes = encoder.encode(text)
  return normalizeOctets(bytes, 0, bytes.length, asPath)
}

/**
 * True for the octets of a product token: ASCII letters, `_` and `-`.
 *
 * @internal
 */
export const isTokenOctet = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d
