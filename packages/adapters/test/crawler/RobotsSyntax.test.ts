/**
 * robots.txt syntax that RFC 9309 does not define but widely deployed
 * parsers accept (google/robotstxt's leniencies), and the limits that keep
 * one check cheap.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Robots from "../../src/crawler/Robots.js"

const base = "https://example.com/robots.txt"
const url = (path: string) => `https://example.com${path}`
const UA = "LeadGraphBot/0.1 (+https://github.com/leadgraph/leadgraph)"

describe("Robots: lenient syntax (as google/robotstxt)", () => {
  it("accepts a directive whose colon is missing: `user-agent FooBot`, `disallow /`", () => {
    const rules = Robots.parse("User-agent LeadGraphBot\nDisallow /private\nAllow\t/private/press\nSitemap https://example.com/s.xml\n", base)
    expect(rules.isAllowed(url("/private/x"), UA)).toBe(false)
    expect(rules.isAllowed(url("/private/press"), UA)).toBe(true)
    expect(rules.isAllowed(url("/public"), UA)).toBe(true)
    // The URL's own colon is the first one, so "Sitemap https" is the key: unknown, as in Google's parser.
    expect(rules.sitemaps).toEqual([])
    expect(Robots.parse("User-agent *\nDisallow /\n", base).isAllowed(url("/x"), UA)).toBe(false)
  })

  it("without a colon, only exactly two words make a record", () => {
    const rules = Robots.parse("User-agent: *\nDisallow /a b\nDisallow/c\nDisallow  \t /d   \n", base)
    expect(rules.isAllowed(url("/a"), UA)).toBe(true)
    expect(rules.isAllowed(url("/c"), UA)).toBe(true)
    expect(rules.isAllowed(url("/d"), UA)).toBe(false)
    // Unknown keys stay unknown, with or without a colon (Google's "foo: FooBot / bar: /").
    expect(Robots.parse("foo: LeadGraphBot\nbar: /\n", base).isAllowed(url("/x"), UA)).toBe(true)
  })

  it.each([
    ["useragent", "disallow"], ["user agent", "disallow"], ["USERAGENT", "DISALLOW"],
    ["user-agent", "dissallow"], ["user-agent", "dissalow"], ["user-agent", "disalow"],
    ["user-agent", "diasllow"], ["user-agent", "disallaw"], ["User Agent", "Disalow"]
  ])("accepts Google's common misspelling %s / %s", (agent, disallow) => {
    const rules = Robots.parse(`${agent}: LeadGraphBot\n${disallow}: /x\n`, base)
    expect(rules.isAllowed(url("/x"), UA)).toBe(false)
    expect(rules.isAllowed(url("/y"), UA)).toBe(true)
  })

  it("recognises whole keys only: `Disallowed:` or `User-agents:` are unknown records", () => {
    const rules = Robots.parse("User-agents: LeadGraphBot\nUser-agent: *\nDisallowed: /x\nAllowance: /\nDisallow: /y\n", base)
    expect(rules.isAllowed(url("/x"), UA)).toBe(true)
    expect(rules.isAllowed(url("/y"), UA)).toBe(false)
    expect(Robots.parse("Site-map: https://example.com/a.xml\nsitemaps: https://example.com/b.xml\n", base).sitemaps)
      .toEqual(["https://example.com/a.xml"])
  })

  it("keeps the first 16,663 octets of a line (Google's 2083 * 8 = 16,664-octet buffer, less its NUL) and drops the rest", () => {
    // google/robotstxt's GoogleOnly_LineTooLong: the pattern is cut, and what is left still applies.
    const disallow = "disallow: "
    const longline = `/x/${"a".repeat(2083 * 8 - 3 - disallow.length + 1 - 3)}`
    const text = `user-agent: LeadGraphBot\n${disallow}${longline}/qux # the comment is past the cut\nDisallow: /next\n`
    const rules = Robots.parse(text, base)
    expect(rules.isAllowed(url("/fux"), UA)).toBe(true)
    expect(rules.isAllowed(url(`${longline}/fux`), UA)).toBe(false)
    expect(rules.isAllowed(url(longline), UA)).toBe(true)
    // The line after a long one is read as usual.
    expect(rules.isAllowed(url("/next"), UA)).toBe(false)
  })

  it("counts the line limit in UTF-8 octets, and may cut a character", () => {
    // "Disallow: /" is 11 octets; 16,651 letters end at octet 16,662, so only the first octet of ツ is kept.
    const text = `User-agent: *\nDisallow: /${"a".repeat(16_651)}ツ\n`
    const rules = Robots.parse(text, base)
    expect(rules.isAllowed(url(`/${"a".repeat(16_651)}ツ`), UA)).toBe(false)
    expect(rules.isAllowed(url(`/${"a".repeat(16_651)}%E3`), UA)).toBe(false)
    expect(rules.isAllowed(url(`/${"a".repeat(16_651)}b`), UA)).toBe(true)
  })

  it("skips a byte order mark at the start only", () => {
    expect(Robots.parse("\uFEFFUser-agent: *\nDisallow: /x\n", base).isAllowed(url("/x"), UA)).toBe(false)
    // A BOM inside the file is part of the key, which is then unknown.
    expect(Robots.parse("User-agent: *\n\uFEFFDisallow: /x\n", base).isAllowed(url("/x"), UA)).toBe(true)
  })
})

describe("Robots: crawl-delay", () => {
  it.each([
    ["2", 2], ["0", 0], ["0.5", 0.5], [".5", 0.5], ["3.", 3], ["  7  ", 7],
    ["-1", undefined], ["1e3", undefined], ["0x10", undefined], ["Infinity", undefined], ["NaN", undefined],
    ["", undefined], ["1.2.3", undefined], ["5 seconds", undefined], ["1e400 written out", undefined]
  ])("Crawl-delay: %j reads as %j", (label, expected) => {
    const value = label === "1e400 written out" ? `1${"0".repeat(400)}` : label
    expect(Robots.parse(`User-agent: *\nCrawl-delay: ${value}\nDisallow: /x\n`, base).crawlDelay(UA)).toBe(expected)
  })

  it("comes from the crawler's own group, else from *, and the largest of merged groups wins", () => {
    const text = "User-agent: *\nCrawl-delay: 9\nDisallow: /a\n\nUser-agent: LeadGraphBot\nCrawl-delay: 1\nDisallow: /b\n\n" +
      "User-agent: leadgraphbot\nCrawl-delay: 3\nDisallow: /c\n\nUser-agent: quietbot\nDisallow: /d\n"
    const rules = Robots.parse(text, base)
    expect(rules.crawlDelay(UA)).toBe(3)
    expect(rules.crawlDelay("OtherBot")).toBe(9)
    // quietbot's own group sets none; the * group's delay is not inherited.
    expect(rules.crawlDelay("quietbot")).toBeUndefined()
    // A crawl-delay before any user-agent line belongs to no group.
    expect(Robots.parse("Crawl-delay: 4\nUser-agent: *\nDisallow: /x\n", base).crawlDelay(UA)).toBeUndefined()
  })
})

describe("Robots: bounded checks", () => {
  it("disallows a path longer than 16,664 octets after normalisation", () => {
    const rules = Robots.allowAll(base)
    expect(rules.isAllowed(url(`/${"a".repeat(16_663)}`), UA)).toBe(true)
    expect(rules.isAllowed(url(`/${"a".repeat(16_664)}`), UA)).toBe(false)
    // Measured after normalisation: %61 is "a", one octet.
    expect(rules.isAllowed(url(`/${"%61".repeat(16_663)}`), UA)).toBe(true)
    expect(rules.isAllowed(url(`/${"%".repeat(6_000)}`), UA)).toBe(false)
    expect(rules.isAllowed(url(`/?q=${"ツ".repeat(100_000)}`), UA)).toBe(false)
  })

  it("answers 'disallowed' when one check would compare more than 4 MiB of octets", () => {
    // ~30,000 distinct wildcard rules that each scan the whole path: a hostile file and link together.
    let text = "User-agent: *\n"
    for (let i = 0; text.length < 500 * 1024; i++) text += `Disallow: /*z${i.toString(36)}\n`
    const rules = Robots.parse(text, base)
    expect(rules.isAllowed(url(`/${"a".repeat(16_000)}`), UA)).toBe(false)
    // Short paths get their exact answer from the same file.
    expect(rules.isAllowed(url("/a/b/c"), UA)).toBe(true)
    expect(rules.isAllowed(url("/a/z5"), UA)).toBe(false)
  })
})
