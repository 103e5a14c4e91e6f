/**
 * robots.txt rules (RFC 9309), parsed with `robots-parser` and corrected
 * where that package departs from the RFC:
 *
 * - user agents are matched by **product token** (the leading run of
 *   letters, `_` and `-`), case-insensitively, on both sides: a group line
 *   `User-agent: LeadGraphBot/2.0` and a crawler UA
 *   `LeadGraphBot/0.1 (+https://...)` both reduce to `leadgraphbot`;
 * - paths and patterns are compared with percent-encoding normalised
 *   (section 2.2.2): non-ASCII and unsafe octets are encoded as UTF-8,
 *   escapes of unreserved characters are decoded, hex digits upper-cased;
 * - `/robots.txt` itself is always allowed (section 2.2.2);
 * - a UTF-8 byte order mark is ignored;
 * - a URL of another origin is never "allowed" by these rules.
 *
 * Longest match wins (in octets, after normalisation) and allow wins a tie,
 * `*` and `$` are wildcards, groups naming the same token are merged, and
 * with no matching group the `*` group applies (section 2.2).
 *
 * @since 0.1.0
 */
import robotsParserModule from "robots-parser"

// The package's bundled typings declare the module as untyped; this is its
// documented shape (a CommonJS function export).
interface Parsed {
  isAllowed(url: string, ua?: string): boolean | undefined
  getCrawlDelay(ua?: string): number | undefined
  getSitemaps(): Array<string>
}
const robotsParser = robotsParserModule as unknown as (url: string, contents: string) => Parsed

/**
 * Parsed robots.txt rules for one origin.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rules {
  /** True when `url` (of this origin) may be fetched by `userAgent`. */
  readonly isAllowed: (url: string, userAgent: string) => boolean
  /** The `Crawl-delay` in seconds for `userAgent`'s group, if it sets one. */
  readonly crawlDelay: (userAgent: string) => number | undefined
  /** The `Sitemap` URLs listed, in order. */
  readonly sitemaps: ReadonlyArray<string>
}

/**
 * The crawler's product token for a user-agent string: its leading run of
 * ASCII letters, `_` and `-`, lower-cased (RFC 9309 section 2.2.1).
 *
 * @since 0.1.0
 * @category utils
 */
export const productToken = (userAgent: string): string => {
  const match = /^[A-Za-z_-]+/.exec(userAgent.trim())
  return match === null ? "" : match[0].toLowerCase()
}

const unreserved = /^[A-Za-z0-9\-._~]$/
// Octets kept as they are: unreserved and reserved (RFC 3986), wildcards included,
// except the apostrophe, which WHATWG URLs percent-encode in queries.
const keep = /^[A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=]$/

/**
 * Normalises the percent-encoding of a path or pattern (RFC 9309 section
 * 2.2.2): escapes of unreserved characters are decoded, other escapes get
 * upper-case hex, and every octet outside the reserved and unreserved sets
 * (non-ASCII as UTF-8) is percent-encoded. The result is ASCII.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizePath = (path: string): string => {
  let out = ""
  const bytes = new TextEncoder().encode(path)
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]!) && isHex(bytes[i + 2]!)) {
      const hex = String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!).toUpperCase()
      const ch = String.fromCharCode(parseInt(hex, 16))
      out += unreserved.test(ch) ? ch : `%${hex}`
      i += 2
    } else {
      const ch = String.fromCharCode(b)
      out += b < 0x80 && keep.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, "0")}`
    }
  }
  return out
}

const isHex = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)

const ruleKeys = new Set(["allow", "disallow"])

// Rewrites the file so robots-parser sees what the RFC means: product tokens
// on user-agent lines, normalised patterns on rule lines, and an empty
// `disallow:` closing each group, so that a group without rules still exists
// (and allows everything) instead of falling back to `*`.
const rewrite = (text: string): string => {
  const out: Array<string> = []
  let inAgents = false
  for (const raw of text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/)) {
    const line = raw.replace(/#.*$/, "")
    const colon = line.indexOf(":")
    if (colon < 0) continue
    const key = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (key === "user-agent") {
      const token = value.startsWith("*") ? "*" : productToken(value)
      // A line without a valid token names no crawler; keep the group shape.
      out.push(`user-agent: ${token === "" ? "-invalid-token-" : token}`)
      inAgents = true
      continue
    }
    if (inAgents) out.push("disallow:")
    inAgents = false
    out.push(ruleKeys.has(key) ? `${key}: ${normalizePath(value)}` : line)
  }
  if (inAgents) out.push("disallow:")
  return out.join("\n")
}

const originOf = (url: URL): string => `${url.protocol}//${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`

/**
 * Parses a robots.txt body fetched from `robotsUrl`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (text: string, robotsUrl: string): Rules => {
  const base = new URL(robotsUrl)
  const origin = originOf(base)
  const parser = robotsParser(`${origin}/robots.txt`, rewrite(text))
  return {
    isAllowed: (url, userAgent) => {
      let target: URL
      try {
        target = new URL(url)
      } catch {
        return false
      }
      if (originOf(target) !== origin) return false
      if (target.pathname === "/robots.txt") return true
      const path = normalizePath(target.pathname + target.search)
      return parser.isAllowed(`${origin}${path}`, productToken(userAgent) || "*") === true
    },
    crawlDelay: (userAgent) => {
      const delay = parser.getCrawlDelay(productToken(userAgent) || "*")
      return delay !== undefined && Number.isFinite(delay) && delay >= 0 ? delay : undefined
    },
    sitemaps: parser.getSitemaps()
  }
}

/**
 * Rules that allow everything: what a 4xx robots.txt ("unavailable") means.
 *
 * @since 0.1.0
 * @category constructors
 */
export const allowAll = (robotsUrl: string): Rules => parse("", robotsUrl)

/**
 * Rules that disallow everything: what a 5xx or unreachable robots.txt means.
 *
 * @since 0.1.0
 * @category constructors
 */
export const disallowAll = (robotsUrl: string): Rules => parse("User-agent: *\nDisallow: /\n", robotsUrl)
