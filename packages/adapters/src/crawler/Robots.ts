/**
 * robots.txt rules (RFC 9309), parsed and matched here in time linear in
 * the file and in each URL, whatever the file holds.
 *
 * - user agents are matched by **product token** (the leading run of
 *   letters, `_` and `-`), case-insensitively, on both sides: a group line
 *   `User-agent: LeadGraphBot/2.0` and a crawler UA
 *   `LeadGraphBot/0.1 (+https://...)` both reduce to `leadgraphbot`;
 * - a group is one or more user-agent lines and the rules after them; other
 *   records between the user-agent lines (`Sitemap`, `Crawl-delay`, unknown
 *   keys) do not split it (sections 2.1 and 2.2.4); groups naming the same
 *   token are merged, with no matching group the `*` group applies, and a
 *   matching group without rules allows everything (section 2.2.1);
 * - the longest match wins (in octets, after normalisation) and allow wins
 *   a tie; `*` matches any run of octets and a final `$` anchors the end
 *   (a `$` anywhere else is an ordinary octet); an empty `disallow:` is no
 *   rule (sections 2.2.2 and 2.2.3);
 * - paths and patterns are compared with percent-encoding normalised
 *   (section 2.2.2): non-ASCII and unsafe octets are encoded as UTF-8,
 *   escapes of unreserved characters are decoded, hex digits upper-cased;
 *   a literal `*` or `$` in a URL compares equal to `%2A` or `%24` in a
 *   pattern (section 2.2.3);
 * - `/robots.txt` itself is always allowed (section 2.2.2);
 * - a UTF-8 byte order mark is ignored, and so is a line's content past
 *   16,663 octets (what google/robotstxt keeps of a line);
 * - a key is recognised without its `:` (`Disallow /x`) and with Google's
 *   common misspellings (`useragent`, `user agent`, `dissallow`, `disalow`,
 *   `dissalow`, `diasllow`, `disallaw`, `site-map`);
 * - a URL of another origin is never "allowed" by these rules, and neither
 *   is a path longer than 16,664 octets after normalisation;
 * - `Crawl-delay` is read from the group that applies to the crawler (its
 *   own, else `*`); only non-negative decimals count, and when merged groups
 *   give several, the largest wins.
 *
 * Parsing scans the file's octets once; no regular expression reads it.
 * Checking a URL costs at most O(path + pattern) octets per rule of the
 * applicable group (see `internal/robotsMatch.ts`), with the rules tried
 * longest first so that the first match decides, and one check compares at
 * most 4 MiB of octets in all: past that it answers "disallowed" (only a
 * hostile file and a hostile link together get there).
 *
 * @since 0.1.0
 */
import { type Budget, compile, matches, type Rule } from "./internal/robotsMatch.js"
import { maxLineOctets, type Group, parseRobots } from "./internal/robotsParse.js"
import { isTokenOctet, normalizeText } from "./internal/robotsPath.js"

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
  const trimmed = userAgent.trim()
  let end = 0
  while (end < trimmed.length && isTokenOctet(trimmed.charCodeAt(end))) end++
  return trimmed.slice(0, end).toLowerCase()
}

/**
 * Normalises the percent-encoding of a path or pattern (RFC 9309 section
 * 2.2.2): escapes of unreserved characters are decoded, other escapes get
 * upper-case hex, and every octet outside the reserved and unreserved sets
 * (non-ASCII as UTF-8) is percent-encoded. The result is ASCII.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizePath = (path: string): string => normalizeText(path, false)

/**
 * The longest URL path (with its query) that is checked at all, in octets
 * after normalisation: as long as the longest line google/robotstxt reads,
 * eight times the 2,083-octet URL limit of old browsers. A longer path is
 * disallowed: no page worth crawling has one (servers refuse URLs a few KB
 * long), and refusing it keeps a hostile link from making each rule's scan
 * long, so the cost of one rule is bounded by 16,664 octets plus its
 * pattern, whatever the link.
 */
const maxPathOctets = maxLineOctets + 1

/**
 * The most octets one check may compare, over all the rules it tries. Each
 * rule costs at most O(path + pattern), but a hostile file can hold ~50,000
 * distinct wildcard rules that each scan a long path to its end: seconds of
 * event-loop time for one URL. Real files and links stay far below this
 * (100 wildcard rules that each scan a 1,000-octet path compare ~100,000
 * octets, 40 times less); a check that would go past it is answered
 * "disallowed", which is always a compliant answer, after some tens of
 * milliseconds at worst.
 */
const maxCheckOctets = 4 * 1024 * 1024

const originOf = (url: URL): string => `${url.protocol}//${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`

// Longest first; on a tie, allow first (section 2.2.2), so the first match decides.
const byPrecedence = (a: Rule, b: Rule): number => b.priority - a.priority || Number(b.allow) - Number(a.allow)

const compileGroups = (groups: ReadonlyArray<Group>): ReadonlyArray<Rule> => {
  // Duplicate rules "MAY be deduplicated" (section 2.2.2); merged groups often repeat them.
  const seen = new Set<string>()
  const rules: Array<Rule> = []
  for (const group of groups) {
    for (const line of group.rules) {
      const key = `${line.allow ? "a" : "d"}${line.pattern}`
      if (seen.has(key)) continue
      seen.add(key)
      rules.push(compile(line.pattern, line.allow))
    }
  }
  return rules.sort(byPrecedence)
}

/**
 * Parses a robots.txt body fetched from `robotsUrl`. The caller bounds the
 * body (the crawler reads the first 500 KiB, section 2.5); parsing is linear
 * in its length.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (text: string, robotsUrl: string): Rules => {
  const origin = originOf(new URL(robotsUrl))
  const parsed = parseRobots(text)
  const none: ReadonlyArray<Group> = []
  const groupsFor = (userAgent: string): ReadonlyArray<Group> =>
    parsed.groups.get(productToken(userAgent) || "*") ?? parsed.groups.get("*") ?? none
  // Compiled lazily, once per applicable group set: at most one entry per token the file names.
  const compiled = new Map<ReadonlyArray<Group>, ReadonlyArray<Rule>>()
  const rulesFor = (userAgent: string): ReadonlyArray<Rule> => {
    const groups = groupsFor(userAgent)
    let rules = compiled.get(groups)
    if (rules === undefined) {
      rules = compileGroups(groups)
      compiled.set(groups, rules)
    }
    return rules
  }
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
      const raw = target.pathname + target.search
      // Normalising shrinks a path at most threefold (`%62` to `b`); skip the work for hopeless ones.
      if (raw.length > 3 * maxPathOctets) return false
      const path = normalizeText(raw, true)
      if (path.length > maxPathOctets) return false
      const budget: Budget = { left: maxCheckOctets }
      for (const rule of rulesFor(userAgent)) {
        if (matches(rule, path, budget)) return rule.allow
        if (budget.left < 0) return false
      }
      return true
    },
    crawlDelay: (userAgent) => {
      let delay: number | undefined
      for (const group of groupsFor(userAgent)) {
        if (group.crawlDelay !== undefined) delay = Math.max(delay ?? 0, group.crawlDelay)
      }
      return delay
    },
    sitemaps: parsed.sitemaps
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
