import { describe, expect, it } from "@effect/vitest"
import * as Robots from "../../src/crawler/Robots.js"
import { FastCheck } from "effect"

const base = "https://example.com/robots.txt"
const url = (path: string) => `https://example.com${path}`
const UA = "LeadGraphBot/0.1 (+https://github.com/leadgraph/leadgraph)"

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

    it("2.1: \"Group: One or more user-agent lines that are followed by one or more rules. The group is terminated by a user-agent line or end of file.\"", () => {
      const rules = Robots.parse("User-agent: a\nUser-agent: b\nDisallow: /x\nUser-agent: c\nDisallow: /y\n", base)
      for (const ua of ["a", "b"]) {
        expect(rules.isAllowed(url("/x"), ua)).toBe(false)
        expect(rules.isAllowed(url("/y"), ua)).toBe(true)
      }
      expect(rules.isAllowed(url("/x"), "c")).toBe(true)
      expect(rules.isAllowed(url("/y"), "c")).toBe(false)
    })

    it("2.2.4: \"Parsing of other records MUST NOT interfere with the parsing of explicitly defined records in Section 2. For example, a 'Sitemaps' record MUST NOT terminate a group.\"", () => {
      for (const other of ["Sitemap: https://example.com/s.xml", "Crawl-delay: 5", "Invalid-Unknown-Line: unknown", "Host: example.com", ""]) {
        const rules = Robots.parse(`User-agent: BarBot\n${other}\nUser-agent: *\nDisallow: /\n`, base)
        // BarBot's user-agent line starts the group that "Disallow: /" closes.
        expect(rules.isAllowed(url("/page"), "BarBot"), other).toBe(false)
        expect(rules.isAllowed(url("/page"), UA), other).toBe(false)
      }
      // A rule line, even an empty one, does end the run of user-agent lines.
      const split = Robots.parse("User-agent: BarBot\nDisallow:\nUser-agent: *\nDisallow: /\n", base)
      expect(split.isAllowed(url("/page"), "BarBot")).toBe(true)
    })

    it("2.2.4: a crawl-delay between user-agent lines belongs to the group they start", () => {
      const rules = Robots.parse("User-agent: *\nCrawl-delay: 2\n\nUser-agent: LeadGraphBot\nCrawl-delay: 0.5\nDisallow: /x\n", base)
      expect(rules.isAllowed(url("/x"), "OtherBot")).toBe(false)
      // One group, two delays: the larger (politer) one holds for both.
      expect(rules.crawlDelay(UA)).toBe(2)
      expect(rules.crawlDelay("OtherBot")).toBe(2)
    })

    it("ABNF: NL = %x0D / %x0A / %x0D.0A; EOL = *WS [comment] NL; comment = \"#\" *(UTF8-char-noctl / WS / \"#\")", () => {
      const text = "# leading comment\r\n  \t User-agent:\t*  \r" +
        "Disallow: /a ## two hashes # and more\n" +
        "#Disallow: /zzz\r\n" +
        "\t\r\n" +
        "Disallow:/b\t\r" +
        "Disallow: /c#d"
      const rules = Robots.parse(text, base)
      expect(rules.isAllowed(url("/a"), UA)).toBe(false)
      expect(rules.isAllowed(url("/b"), UA)).toBe(false)
      expect(rules.isAllowed(url("/c"), UA)).toBe(false)
      // "/c#d" is "/c"; the commented-out rule is no rule.
      expect(rules.isAllowed(url("/zzz"), UA)).toBe(true)
      expect(rules.isAllowed(url("/x"), UA)).toBe(true)
    })

    it("2.3.1.5: \"Crawlers MUST try to parse each line of the robots.txt file. Crawlers MUST use the parseable rules.\"", () => {
      const text = "User-agent: *\n\u0000\u0001 garbage\nDisallow: /a\n:::\n\uFFFD\uFFFD\nDisallow /b\nDisallow: /c\n"
      const rules = Robots.parse(text, base)
      for (const p of ["/a", "/b", "/c"]) expect(rules.isAllowed(url(p), UA), p).toBe(false)
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

    it("2.2.1: \"If there is more than one group matching the user-agent, the matching groups' rules MUST be combined into one group\" (Figure 2)", () => {
      const rules = Robots.parse("user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n", base)
      for (const p of ["/foo", "/bar", "/baz"]) expect(rules.isAllowed(url(p), "ExampleBot"), p).toBe(false)
      expect(rules.isAllowed(url("/qux"), "ExampleBot")).toBe(true)
    })

    it("2.2.1: \"If no matching group exists, crawlers MUST obey the group with a user-agent line with the '*' value\" (Figure 3)", () => {
      const rules = Robots.parse("user-agent: *\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: BazBot\ndisallow: /baz\n", base)
      expect(rules.isAllowed(url("/foo"), "ExampleBot")).toBe(false)
      expect(rules.isAllowed(url("/bar"), "ExampleBot")).toBe(false)
      expect(rules.isAllowed(url("/baz"), "ExampleBot")).toBe(true)
      // "...or no groups are present at all, no rules apply."
      expect(Robots.parse("Disallow: /foo\n", base).isAllowed(url("/foo"), "ExampleBot")).toBe(true)
    })

    it("2.2.1: \"The product token MUST contain only uppercase and lowercase letters, underscores and hyphens\"; matching is case-insensitive", () => {
      const rules = Robots.parse("User-agent: LEAD_graph-BOT\nDisallow: /\n", base)
      expect(rules.isAllowed(url("/x"), "lead_Graph-bot/3.0")).toBe(false)
      expect(rules.isAllowed(url("/x"), "lead_graph")).toBe(true)
      // A value that starts with no token character names no crawler.
      const none = Robots.parse("User-agent: /LeadGraphBot\nDisallow: /\n", base)
      expect(none.isAllowed(url("/x"), UA)).toBe(true)
      // "User-agent: * anything" is still the * group (as Google reads it); "*bot" is not.
      expect(Robots.parse("User-agent: * everyone\nDisallow: /\n", base).isAllowed(url("/x"), UA)).toBe(false)
      expect(Robots.parse("User-agent: *bot\nDisallow: /\n", base).isAllowed(url("/x"), UA)).toBe(true)
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

    it("2.2.2: \"The most specific match is the match that has the most octets\" (5.2: /example/page/disallowed.gif MUST be used)", () => {
      const rules = Robots.parse("User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n", base)
      expect(rules.isAllowed(url("/example/page/disallowed.gif"), "foobot")).toBe(false)
      expect(rules.isAllowed(url("/example/page/allowed.gif"), "foobot")).toBe(true)
      // Octets of the pattern as written, wildcards included, after percent-encoding:
      // "/*.html" (7) beats "/page" (5); "/ツ" is "/%E3%83%84" (10) and beats "/%E3%83*" (8).
      const wild = Robots.parse("User-agent: *\nAllow: /page\nDisallow: /*.html\n", base)
      expect(wild.isAllowed(url("/page.html"), UA)).toBe(false)
      expect(wild.isAllowed(url("/page"), UA)).toBe(true)
      const encoded = Robots.parse("User-agent: *\nAllow: /%E3%83*\nDisallow: /ツ\n", base)
      expect(encoded.isAllowed(url("/ツ"), UA)).toBe(false)
      expect(encoded.isAllowed(url("/ダ"), UA)).toBe(true)
    })

    it("2.2.2: \"If an 'allow' rule and a 'disallow' rule are equivalent, then the 'allow' rule SHOULD be used.\"", () => {
      for (const text of ["Disallow: /x/page.html\nAllow: /x/page.html", "Disallow: /x/*p\nAllow: /x/p*", "Disallow: /\nAllow: /"]) {
        expect(Robots.parse(`User-agent: *\n${text}\n`, base).isAllowed(url("/x/page.html"), UA), text).toBe(true)
      }
    })

    it("2.2.2: \"The /robots.txt URI is implicitly allowed.\"", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /robots.txt\nUser-agent: LeadGraphBot\nDisallow: /\n", base)
      expect(rules.isAllowed(url("/robots.txt"), UA)).toBe(true)
      expect(rules.isAllowed(url("/robots.txt"), "OtherBot")).toBe(true)
      expect(rules.isAllowed(url("/robots.txt.bak"), UA)).toBe(false)
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
      })

      // Figure 4, "Examples of matching percent-encoded URI components": the URI as sent
      // ("Encoded Path") is matched by a rule written as "Path to Match".
      it.each([
        ["/foo/bar?baz=quz", "/foo/bar?baz=quz", "/foo/bar?baz=quz"],
        ["/foo/bar?baz=https://foo.bar", "/foo/bar?baz=https%3A%2F%2Ffoo.bar", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"],
        ["/foo/bar/U+E38384", "/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84"],
        ["/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84"],
        ["/foo/bar/%62%61%7A", "/foo/bar/%62%61%7A", "/foo/bar/baz"]
      ])("2.2.2 Figure 4: path %s, sent as %s, is matched by the rule %s", (_path, encoded, rule) => {
        const rules = Robots.parse(`User-agent: *\nDisallow: ${rule}$\n`, base)
        expect(rules.isAllowed(url(encoded), UA)).toBe(false)
        expect(rules.isAllowed(url(`${encoded}x`), UA)).toBe(true)
      })

      it("2.2.3 Figure 6: \"If crawlers match special characters verbatim in the URI, crawlers SHOULD use '%' encoding.\"", () => {
        const rules = Robots.parse("User-agent: *\nDisallow: /path/file-with-a-%2A.html\nDisallow: /path/foo-%24\n", base)
        expect(rules.isAllowed(url("/path/file-with-a-*.html"), UA)).toBe(false)
        expect(rules.isAllowed(url("/path/file-with-a-%2a.html"), UA)).toBe(false)
        expect(rules.isAllowed(url("/path/file-with-a-b.html"), UA)).toBe(true)
        expect(rules.isAllowed(url("/path/foo-$"), UA)).toBe(false)
        expect(rules.isAllowed(url("/path/foo-"), UA)).toBe(true)
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

    it("2.2.3 Figure 5: \"allow: /this/path/exactly$\" and \"allow: /this/*/exactly\"", () => {
      const exact = Robots.parse("User-agent: *\nDisallow: /\nAllow: /this/path/exactly$\n", base)
      expect(exact.isAllowed(url("/this/path/exactly"), UA)).toBe(true)
      expect(exact.isAllowed(url("/this/path/exactly/"), UA)).toBe(false)
      expect(exact.isAllowed(url("/this/path/exactly?q"), UA)).toBe(false)
      const star = Robots.parse("User-agent: *\nDisallow: /\nAllow: /this/*/exactly\n", base)
      // 5.1: "The '*' character designates any character, including the otherwise-required forward slash".
      for (const p of ["/this/a/exactly", "/this//exactly", "/this/a/b/c/exactly", "/this/a/exactly/more"]) {
        expect(star.isAllowed(url(p), UA), p).toBe(true)
      }
      expect(star.isAllowed(url("/this/exactly"), UA)).toBe(false)
    })

    it("2.2.3: runs of * are one *, $ is special only at the end, and * before $ reaches the end", () => {
      const rules = Robots.parse("User-agent: *\nDisallow: /a***b\nDisallow: /c$d\nDisallow: /e*$\nDisallow: /f$$\n", base)
      expect(rules.isAllowed(url("/a-x-b"), UA)).toBe(false)
      expect(rules.isAllowed(url("/ab"), UA)).toBe(false)
      // A $ before the end is an octet; URLs carry it as $ or %24, both the same here.
      expect(rules.isAllowed(url("/c$d"), UA)).toBe(false)
      expect(rules.isAllowed(url("/c%24d"), UA)).toBe(false)
      expect(rules.isAllowed(url("/cd"), UA)).toBe(true)
      expect(rules.isAllowed(url("/e/any/thing"), UA)).toBe(false)
      expect(rules.isAllowed(url("/f$"), UA)).toBe(false)
      expect(rules.isAllowed(url("/f$x"), UA)).toBe(true)
    })

    it("# starts a comment, also after a rule", () => {
      const rules = Robots.parse("User-agent: * # everyone\nDisallow: /x # not /x#y\n", base)
      expect(rules.isAllowed(url("/x"), UA)).toBe(false)
    })
  })

  describe("2.2.4 other records", () => {
    it("lists sitemaps and reads Crawl-delay per group, with the * group as fallback", () => {
      // The * group needs a rule of its own: a Crawl-delay does not end a group (see 2.1 above),
      // so without "Disallow: /tmp" both user-agent lines would start one group.
      const text = "Sitemap: https://example.com/sitemap.xml\nUser-agent: *\nCrawl-delay: 2\nDisallow: /tmp\n\nUser-agent: LeadGraphBot\nCrawl-delay: 0.5\nDisallow: /x\nSitemap: https://example.com/news.xml\n"
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
      // quxbot's group has no rules: everything is allowed (robots-parser fell back to *).
      expect(rules.isAllowed(url("/anything.gif"), "quxbot")).toBe(true)
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
