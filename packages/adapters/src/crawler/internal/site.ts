/**
 * "Same site" for the crawler: two URLs are on one site when their
 * registrable domains are equal (the Public Suffix List, via tldts, private
 * suffixes included so that `a.github.io` and `b.github.io` are two sites),
 * over http(s), on the same port. Hosts with no registrable domain under a
 * listed suffix (IP literals, `localhost`, single labels, reserved names
 * such as the `*.test` fixture hosts) are compared exactly, ignoring a
 * leading `www.`.
 *
 * @internal
 */
import { parse } from "tldts"
import { ipLiteral } from "./address.js"

// The input is a URL's host name already: no URL parsing, no scheme sniffing.
const tldtsOptions = {
  allowPrivateDomains: true,
  extractHostname: false,
  mixedInputs: false,
  detectIp: true,
  validateHostname: true
} as const

/**
 * A host name without a leading `www.`, lower-cased: the same page under
 * both names gets one key.
 *
 * @internal
 */
export const siteKey = (hostname: string): string => {
  const lower = hostname.toLowerCase()
  return lower.startsWith("www.") ? lower.slice(4) : lower
}

/**
 * The registrable domain of a host name (`shop.example.co.uk` gives
 * `example.co.uk`, `a.github.io` gives itself), or its {@link siteKey} when
 * it has none under a listed public suffix. tldts answers every unlisted TLD
 * with its default rule (`acme.test` would be registrable under `test`), so
 * only a suffix it knows, ICANN or private, counts.
 *
 * @internal
 */
export const siteOf = (hostname: string): string => {
  if (ipLiteral(hostname) === undefined) {
    const parsed = parse(hostname, tldtsOptions)
    if (parsed.domain !== null && (parsed.isIcann === true || parsed.isPrivate === true)) return parsed.domain
  }
  return siteKey(hostname)
}

/**
 * Same site: `b` is http(s), on the port of `a`, and both have one
 * registrable domain (or, without one, one host name, `www.` aside).
 *
 * @internal
 */
export const sameSite = (a: URL, b: URL): boolean =>
  (b.protocol === "http:" || b.protocol === "https:") && a.port === b.port && siteOf(a.hostname) === siteOf(b.hostname)
