import { describe, expect, it } from "@effect/vitest"
import * as Robots from "../../src/crawler/Robots.js"
import { FastCheck } from "effect"
import robotsParserModule from "robots-parser"

const base = "https://example.com/robots.txt"
const url = (path: string) => `https://example.com${path}`
const UA = "LeadGraphBot/0.1 (+https://github.com/leadgraph/leadgraph)"

// The raw package, to show where it departs from the RFC and we do not.
const raw = robotsParserModule as unknown as (u: string, t: string) => { isAllowed(u: string, ua?: string): boolean | undefined }

describe("Robots (RFC 9309)", () => {
  describe("2.1 protocol definition: lines, comments, groups", () => {
    it("reads CR, LF and CRLF line ends, comments and junk lines", () => {
      const text = "User-agent: *\r\nDisallow: /a # comment\rjunk line without colon\n: no key\nDisallow: /b\r\n"
      const rules = Robots.parse(text, base)
      expect(rules.isAllowed(url("/a/1"), UA)).toBe(false)
      expect(rules.isAllowed(url("/b"), UA)).toBe(false)
      expect(rules.isAllowed(url("/c"), UA)).toBe(true)
    })

    it("ignores a UTF-8 byte order mark", () => {
      const text = "\uFEFFUser-agent: *\nDisallow: /private\n"
      expect(Robots.parse(text, base).isAllowed(url("/private"), UA)).toBe(false)
    })

    it("keys are case-insensitive", () => {
      const rules = Robots.parse("USER-AGENT: *\nDISALLOW: /x\n", base)
      expect(rules.isAllowed(url("/x"), UA)).toBe(false)
    })

    it("rules before any user-agent line belong to no group", () => {
      const rules = Robots.parse("Disallow: /orphan\nUser-agent: *\nDisallow: /x\n", base)
      expect(rules.isAllowed(url("/orphan"), UA)).toBe(true)
      expect(rules.isAllowed(url("/x"), UA)).toBe(false)
    })
  })

  describe("2.2.1 the user-agent line: product tokens", () => {
    it("matches the crawler's product token case-insensitively, ignoring versions and comments", () => {
      const rules = Robots.parse("User-agent: leadgraphbot\nDisallow: /mine\n\nUser-agent: *\nDisallow: /\n", base)
      expect(rules.isAllowed(url("/mine"), UA)).toBe(false)
      expect(rules.isAllowed(url("/other"), UA)).toBe(true)
      expect(rules.isAllowed(url("/other"), "OtherBot/1.0")).toBe(false)
    })

    it("reduces the group's user-agent value to its product token (robots-parser does not)", () => {
      const text = "User-agent: LeadGraphBot (+https://leadgraph.dev/bot)\nDisallow: /x\n\nUser-agent: *\nDisallow: /\n"
      expect(Robots.parse(text, base).isAllowed(url("/y"), UA)).toBe(true)
      expect(Robots.parse(text, base).isAllowed(url("/x"), UA)).toBe(false)
      // robots-parser keeps "leadgraphbot (+https:" as the token, so the * group applies.
      expect(raw(base, text).isAllowed(url("/y"), "LeadGraphBot")).toBe(false)
    })

    it("does not match on a prefix of the token", () => {
      const rules = Robots.parse("User-agent: LeadGraph\nDisallow: /\n", base)
      expect(rules.isAllowed(url("/a"), UA)).toBe(true)
      expect(rules.isAllowed(url("/a"), "LeadGraph/1.0")).toBe(false)
    })

    it("merges groups that name the same product token", () => {
      const text = "User-agent: LeadGraphBot\nDisallow: /a\n\nUser-agent: *\nDisallow: /c\n\nUser-agent: leadgraphbot/9\nDisallow: /b\n"
      const rules = Robots.parse(text, base)
      expect(rules.isAllowed(url("/a"), UA)).toBe(false)
      expect(rules.isAllowed(url("/b"), UA)).toBe(false)
      expect(rules.isAllowed(url("/c"), UA)).toBe(true)
    })

    it("several user-agent lines start one group", () => {
      const rules = Robots.parse("User-agent: barbot\nUser-agent: LeadGraphBot\nDisallow: /shared\n", base)
      expect(rules.isAllowed(url("/shared"), UA)).toBe(false)
      expect(rules.isAllowed(url("/shared"), "barbot")).toBe(false)
    })

    it("falls back to the * group, and allows everything without one", () => {
      expect(Robots.parse("User-agent: *\nDisallow: /x\n", base).isAllowed(url("/x"), UA)).toBe(false)
      expect(Robots.parse("User-agent: otherbot\nDisallow: /\n", base).isAllowed(url("/x"), UA)).toBe(true)
    })

    it("a matching group without rules allows everything, whatever * says", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /\n\nUser-agent: LeadGraphBot\nDisallow:\n", base)
      expect(rules.isAllowed(url("/anything"), UA)).toBe(true)
    })
  })

  describe("2.2.2 allow and disallow lines", () => {
    it("the longest match wins", () => {
      const rules = Robots.parse("User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n", base)
      expect(rules.isAllowed(url("/example/page/"), UA)).toBe(true)
      expect(rules.isAllowed(url("/example/page/disallowed.gif"), UA)).toBe(false)
      const reversed = Robots.parse("User-agent: *\nDisallow: /folder\nAllow: /folder/page\n", base)
      expect(reversed.isAllowed(url("/folder/page"), UA)).toBe(true)
      expect(reversed.isAllowed(url("/folder/other"), UA)).toBe(false)
    })

    it("allow wins a tie of equal length", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /page\nAllow: /page\n", base)
      expect(rules.isAllowed(url("/page"), UA)).toBe(true)
    })

    it("an empty disallow means no rule", () => {
      expect(Robots.parse("User-agent: *\nDisallow:\n", base).isAllowed(url("/x"), UA)).toBe(true)
    })

    it("paths are case-sensitive", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /Private\n", base)
      expect(rules.isAllowed(url("/Private"), UA)).toBe(false)
      expect(rules.isAllowed(url("/private"), UA)).toBe(true)
    })

    it("the query is part of the matched path", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /search?q=\n", base)
      expect(rules.isAllowed(url("/search?q=leads"), UA)).toBe(false)
      expect(rules.isAllowed(url("/search"), UA)).toBe(true)
    })

    it("/robots.txt itself is always allowed", () => {
      expect(Robots.parse("User-agent: *\nDisallow: /\n", base).isAllowed(url("/robots.txt"), UA)).toBe(true)
    })

    describe("percent-encoding is normalised (the RFC's table)", () => {
      it("a non-ASCII path matches its UTF-8 encoding, both ways", () => {
        const encodedRule = Robots.parse("User-agent: *\nDisallow: /foo/bar/%E3%83%84\n", base)
        expect(encodedRule.isAllowed(url("/foo/bar/ツ"), UA)).toBe(false)
        const literalRule = Robots.parse("User-agent: *\nDisallow: /foo/bar/ツ\n", base)
        expect(literalRule.isAllowed(url("/foo/bar/%E3%83%84"), UA)).toBe(false)
        expect(literalRule.isAllowed(url("/foo/bar/%e3%83%84"), UA)).toBe(false)
      })

      it("escaped unreserved characters match their plain form (robots-parser does not)", () => {
        const rules = Robots.parse("User-agent: *\nDisallow: /foo/bar/baz\n", base)
        expect(rules.isAllowed(url("/foo/bar/%62%61%7A"), UA)).toBe(false)
        const tilde = "User-agent: *\nDisallow: /%7Ejohn/\n"
        expect(Robots.parse(tilde, base).isAllowed(url("/~john/cv.html"), UA)).toBe(false)
        expect(raw(base, tilde).isAllowed(url("/~john/cv.html"))).toBe(true)
      })

      it("escaped reserved characters stay distinct from their plain form", () => {
        const rules = Robots.parse("User-agent: *\nDisallow: /a%2Fb\n", base)
        expect(rules.isAllowed(url("/a%2fb"), UA)).toBe(false)
        expect(rules.isAllowed(url("/a/b"), UA)).toBe(true)
      })
    })

    it("rules of another origin are never permission", () => {
      const rules = Robots.parse("", base)
      expect(rules.isAllowed("https://other.example/x", UA)).toBe(false)
      expect(rules.isAllowed("http://example.com/x", UA)).toBe(false)
      expect(rules.isAllowed("https://example.com:443/x", UA)).toBe(true)
      expect(rules.isAllowed("not a url", UA)).toBe(false)
    })
  })

  describe("2.2.3 special characters", () => {
    it("* matches any sequence and $ anchors the end", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /*.gif$\nDisallow: /private*/secret\nAllow: /exact$\nDisallow: /exact\n", base)
      expect(rules.isAllowed(url("/images/a.gif"), UA)).toBe(false)
      expect(rules.isAllowed(url("/images/a.gif?size=2"), UA)).toBe(true)
      expect(rules.isAllowed(url("/private-zone/secret"), UA)).toBe(false)
      expect(rules.isAllowed(url("/exact"), UA)).toBe(true)
      expect(rules.isAllowed(url("/exact/more"), UA)).toBe(false)
    })

    it("# starts a comment, also after a rule", () => {
      const rules = Robots.parse("User-agent: * # everyone\nDisallow: /x # not /x#y\n", base)
      expect(rules.isAllowed(url("/x"), UA)).toBe(false)
    })
  })

  describe("2.2.4 other records", () => {
    it("lists sitemaps and reads Crawl-delay per group, with the * group as fallback", () => {
      const text = "Sitemap: https://example.com/sitemap.xml\nUser-agent: *\nCrawl-delay: 2\n\nUser-agent: LeadGraphBot\nCrawl-delay: 0.5\nDisallow: /x\nSitemap: https://example.com/news.xml\n"
      const rules = Robots.parse(text, base)
      expect(rules.sitemaps).toEqual(["https://example.com/sitemap.xml", "https://example.com/news.xml"])
      expect(rules.crawlDelay(UA)).toBe(0.5)
      expect(rules.crawlDelay("OtherBot")).toBe(2)
      expect(Robots.parse("User-agent: *\nCrawl-delay: soon\n", base).crawlDelay(UA)).toBeUndefined()
    })
  })

  describe("5.1 the RFC's example file", () => {
    const text = `User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF`
    const rules = Robots.parse(text, base)

    it("applies each group to its crawlers", () => {
      expect(rules.isAllowed(url("/example/page.html"), "foobot")).toBe(true)
      expect(rules.isAllowed(url("/example/allowed.gif"), "foobot")).toBe(true)
      expect(rules.isAllowed(url("/other"), "foobot")).toBe(false)
      expect(rules.isAllowed(url("/example/page.html"), "barbot")).toBe(false)
      expect(rules.isAllowed(url("/example/page.html"), "BazBot/2.1")).toBe(false)
      expect(rules.isAllowed(url("/example/other.html"), "bazbot")).toBe(true)
      // quxbot's group has no rules: everything is allowed (robots-parser falls back to *).
      expect(rules.isAllowed(url("/anything.gif"), "quxbot")).toBe(true)
      expect(raw(base, text).isAllowed(url("/anything.gif"), "quxbot")).toBe(false)
      expect(rules.isAllowed(url("/example/x"), UA)).toBe(false)
      expect(rules.isAllowed(url("/publications/x"), UA)).toBe(true)
      expect(rules.isAllowed(url("/a.gif"), UA)).toBe(false)
    })
  })

  describe("2.3.1 access results", () => {
    it("allowAll is what a 4xx means and disallowAll what a 5xx means", () => {
      expect(Robots.allowAll(base).isAllowed(url("/x"), UA)).toBe(true)
      expect(Robots.disallowAll(base).isAllowed(url("/x"), UA)).toBe(false)
      expect(Robots.disallowAll(base).isAllowed(url("/robots.txt"), UA)).toBe(true)
    })
  })

  describe("product tokens and normalisation", () => {
    it("productToken keeps the leading letters, _ and -", () => {
      expect(Robots.productToken(UA)).toBe("leadgraphbot")
      expect(Robots.productToken("Lead_Graph-Bot2")).toBe("lead_graph-bot")
      expect(Robots.productToken("/1.0")).toBe("")
    })

    it.prop("normalizePath is idempotent and ASCII", [FastCheck.string({ unit: "binary", maxLength: 40 })], ([s]) => {
      const once = Robots.normalizePath(`/${s}`)
      expect(Robots.normalizePath(once)).toBe(once)
      expect(/^[\x21-\x7e]*$/.test(once)).toBe(true)
    })
  })
})
