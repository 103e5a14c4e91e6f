/**
 * robots.txt parsing (RFC 9309 section 2) by plain scanning over the file's
 * UTF-8 octets: each octet is looked at a constant number of times, and no
 * regular expression runs over the input.
 *
 * - Lines end at CR, LF or CRLF; a leading UTF-8 byte order mark is skipped.
 * - A line keeps its first 16,663 octets and the rest, up to its line end,
 *   is dropped before anything else (comments included) is looked at. This
 *   is what google/robotstxt does: its line buffer is 2083 * 8 = 16,664
 *   octets, one of them the terminating NUL.
 * - `#` starts a comment; ASCII white space around keys and values is
 *   dropped.
 * - Key and value are split at the first `:`. A line without `:` is still a
 *   record when it is exactly two runs of non-blank octets separated by
 *   spaces or tabs (`Disallow /path`), as Google's parser accepts.
 * - Keys are case-insensitive and the whole key must be one of the known
 *   spellings, Google's common typos included (`useragent`, `user agent`,
 *   `dissallow`, `disalow`, ...). Google matches these as prefixes of the
 *   key; whole-key matching keeps a `Disallowed:` or `Allowance:` line from
 *   becoming a rule.
 * - A group is one or more user-agent lines followed by rules; a user-agent
 *   line starts a new group only once the current group has had an `allow`
 *   or `disallow` line (empty ones included). Other records (`sitemap`,
 *   `crawl-delay`, unknown keys) never end a group (section 2.2.4).
 *
 * @internal
 */
import { isTokenOctet, normalizeOctets } from "./robotsPath.js"

/** Octets kept from one line, as in google/robotstxt (`kMaxLineLen - 1`). @internal */
export const maxLineOctets = 2083 * 8 - 1

/** One `allow` or `disallow` line: its normalised pattern, never empty. @internal */
export interface PatternLine {
  readonly allow: boolean
  readonly pattern: string
}

/** One group of the file, as written. @internal */
export interface Group {
  readonly rules: Array<PatternLine>
  /** The group's largest valid `crawl-delay`, in seconds. */
  crawlDelay: number | undefined
}

/**
 * A parsed file: the groups each product token (lower-case) or `*` names,
 * in file order, and the sitemap URLs.
 *
 * @internal
 */
export interface Parsed {
  readonly groups: ReadonlyMap<string, ReadonlyArray<Group>>
  readonly sitemaps: ReadonlyArray<string>
}

type Key = "user-agent" | "allow" | "disallow" | "sitemap" | "crawl-delay"

const keys: ReadonlyMap<string, Key> = new Map<string, Key>([
  ["user-agent", "user-agent"], ["useragent", "user-agent"], ["user agent", "user-agent"],
  ["allow", "allow"],
  ["disallow", "disallow"], ["dissallow", "disallow"], ["dissalow", "disallow"], ["disalow", "disallow"],
  ["diasllow", "disallow"], ["disallaw", "disallow"],
  ["sitemap", "sitemap"], ["site-map", "sitemap"],
  ["crawl-delay", "crawl-delay"], ["crawldelay", "crawl-delay"], ["crawl delay", "crawl-delay"]
])
const longestKey = 11

// What absl::StripAsciiWhitespace drops (CR and LF never reach a line).
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d || c === 0x0a
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09

const keyOf = (bytes: Uint8Array, start: number, end: number): Key | undefined => {
  if (end - start > longestKey) return undefined
  let key = ""
  for (let i = start; i < end; i++) {
    const c = bytes[i]!
    if (c >= 0x80) return undefined
    key += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c)
  }
  return keys.get(key)
}

/** `*` (alone or before white space, as Google reads it), else the product token, possibly empty. */
const agentOf = (bytes: Uint8Array, start: number, end: number): string => {
  if (bytes[start] === 0x2a && (start + 1 === end || isSpace(bytes[start + 1]!))) return "*"
  let token = ""
  for (let i = start; i < end && isTokenOctet(bytes[i]!); i++) {
    const c = bytes[i]!
    token += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c)
  }
  return token
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

/** The first index of `octet` in `bytes[start, end)`, else `end` (bounded, unlike `Uint8Array#indexOf`). */
const find = (bytes: Uint8Array, octet: number, start: number, end: number): number => {
  let i = start
  while (i < end && bytes[i] !== octet) i++
  return i
}

/** A non-negative decimal (`2`, `0.5`, `.5`, `3.`), else undefined. */
const delayOf = (bytes: Uint8Array, start: number, end: number): number | undefined => {
  let digits = 0
  let dots = 0
  for (let i = start; i < end; i++) {
    const c = bytes[i]!
    if (c >= 0x30 && c <= 0x39) digits++
    else if (c === 0x2e && dots === 0) dots++
    else return undefined
  }
  if (digits === 0) return undefined
  const value = Number(decoder.decode(bytes.subarray(start, end)))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * Parses a robots.txt body; linear in its length.
 *
 * @internal
 */
export const parseRobots = (text: string): Parsed => {
  const bytes = encoder.encode(text)
  const groups = new Map<string, Array<Group>>()
  const sitemaps: Array<string> = []
  let group: Group | undefined
  let ruled = false

  const line = (start: number, end: number): void => {
    let e = find(bytes, 0x23, start, end)
    let s = start
    while (s < e && isSpace(bytes[s]!)) s++
    while (e > s && isSpace(bytes[e - 1]!)) e--
    if (s === e) return
    let sep = find(bytes, 0x3a, s, e)
    let v: number
    if (sep < e) {
      v = sep + 1
    } else {
      // No colon: accept `key value`, two runs of non-blank octets, as Google does.
      sep = s
      while (sep < e && !isBlank(bytes[sep]!)) sep++
      if (sep === e) return
      v = sep
      while (v < e && isBlank(bytes[v]!)) v++
      for (let i = v; i < e; i++) if (isBlank(bytes[i]!)) return
    }
    let k = sep
    while (k > s && isSpace(bytes[k - 1]!)) k--
    if (k === s) return
    while (v < e && isSpace(bytes[v]!)) v++
    const key = keyOf(bytes, s, k)
    switch (key) {
      case "user-agent": {
        if (group === undefined || ruled) {
          group = { rules: [], crawlDelay: undefined }
          ruled = false
        }
        if (v === e) return
        const agent = agentOf(bytes, v, e)
        if (agent === "") return
        const named = groups.get(agent)
        if (named === undefined) groups.set(agent, [group])
        else if (named[named.length - 1] !== group) named.push(group)
        return
      }
      case "allow":
      case "disallow": {
        if (group === undefined) return
        ruled = true
        if (v < e) group.rules.push({ allow: key === "allow", pattern: normalizeOctets(bytes, v, e, false) })
        return
      }
      case "crawl-delay": {
        const delay = group === undefined ? undefined : delayOf(bytes, v, e)
        if (group !== undefined && delay !== undefined) group.crawlDelay = Math.max(delay, group.crawlDelay ?? 0)
        return
      }
      case "sitemap": {
        if (v < e) sitemaps.push(decoder.decode(bytes.subarray(v, e)))
        return
      }
      case undefined:
        return
    }
  }

  const n = bytes.length
  let i = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  for (;;) {
    let end = i
    while (end < n && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++
    line(i, Math.min(end, i + maxLineOctets))
    if (end >= n) break
    i = end + (bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? 2 : 1)
  }
  return { groups, sitemaps }
}
