/**
 * The crawler's text work against adversarial input: every HTML family of
 * the shared corpus at the 2 MB page limit, random tag soup, and random
 * strings for the signal scanners. Each function stays within the CPU
 * budget, never throws, keeps its outputs bounded, and agrees with the
 * regular expressions it replaced wherever those were still fast (short
 * inputs): the rewrite changed the time, not the answers.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { extract } from "../../src/crawler/internal/extract.js"
import { scan } from "../../src/crawler/internal/html.js"
import { pick } from "../../src/crawler/internal/pick.js"
import { deobfuscate, emailsIn, flatten, phonesIn } from "../../src/crawler/internal/signals.js"
import { sitemapLocations } from "../../src/crawler/internal/sitemap.js"
import * as Adversarial from "../../src/crawler/testing/Adversarial.js"
import { budgetMillis, cpuMillis, pageLimit } from "./budget.js"

const fc = FastCheck

// The replaced implementations, kept here as references for short inputs.
const old = {
  deobfuscate: (text: string): string =>
    text
      .replace(/\s*[[({<]\s*(?:at|@)\s*[\])}>]\s*/gi, "@")
      .replace(/\s*[[({<]\s*(?:dot|\.)\s*[\])}>]\s*/gi, "."),
  emails: (text: string): Array<string> =>
    (old.deobfuscate(text).match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}/g) ?? [])
      .map((e) => e.toLowerCase())
      .filter((e) => !/\.(png|jpe?g|gif|svg|webp|css|js)$/i.test(e)),
  phones: (text: string): Array<string> => {
    const label =
      /(?<![A-Za-z])(?:tel(?:ephone|efon|éfono)?|phone|tél(?:éphone)?|call|電話|电话|☎)\s*[.:]?\s*((?:\+|00)?\(?\d[\d\s().\/-]{5,}\d)/gi
    const intl = /(?:^|[^\w+])((?:\+|00)[1-9][\d\s().\/-]{6,}\d)/g
    return [...[...text.matchAll(label)].map((m) => m[1]!), ...[...text.matchAll(intl)].map((m) => m[1]!)]
  },
  sitemap: (xml: string): Array<string> =>
    [...xml.matchAll(/<loc>\s*([^<\s]+)\s*<\/loc>/gi)].map((m) => m[1]!.replace(/&amp;/g, "&"))
}

/** Strings over a small alphabet of the characters (and words) the scanners care about. */
const soup = (pieces: ReadonlyArray<string>, maxLength: number) =>
  fc.array(fc.constantFrom(...pieces), { maxLength }).map((parts) => parts.join(""))

const signalPieces = [
  "a", "b", "Z", "0", "1", "9", ".", "-", "_", "+", "%", "@", " ", "  ", "\n", "\t", "(", ")", "[", "]", "{", "}",
  "<", ">", "at", "dot", "com", "io", "tel", "Tel:", "phone", "call", "電話", "00", "+4", "/", ".png"
]
const tagPieces = [
  "<div>", "</div>", "<p>", "</p>", "<a href='/about'>", "<a href=\"mailto:x@y.test\">", "</a>", "<h1>", "</h1>",
  "<nav>", "</nav>", "<script>", "</script>", "<style>", "<br>", "</br>", "<svg>", "<g/>", "</svg>", "<li>", "<td>",
  "<!--", "-->", "<![CDATA[", "]]>", "<title>", "</title>", "<address>", "</address>", "<body>", "</body>",
  "<meta name=description content='d'>", "<base href='/x/'>", "<span itemprop='streetAddress'>",
  "<div itemtype='https://schema.org/PostalAddress'>", "<script type='application/ld+json'>", "{\"address\":\"A\"}",
  "text", " ", "&amp;", "&", "<", ">", "\"", "'", "=", "a@b.test", "Tel: +1 212 555 0100"
]

describe("the crawler's text work on adversarial pages", () => {
  it.each(Adversarial.html.map((f) => [f.name, f] as const))("extract: %s at the 2 MB limit stays within budget", (_, family) => {
    const page = family.make(pageLimit)
    const { millis, result } = cpuMillis(() => extract(page, "https://adversarial.test/"))
    expect(millis).toBeLessThan(budgetMillis)
    expect(result.links.length).toBeLessThanOrEqual(10_000)
    expect(result.headings.length).toBeLessThanOrEqual(40)
    const picked = cpuMillis(() => pick(new URL("https://adversarial.test/"), result.links, [], 8))
    expect(picked.millis).toBeLessThan(budgetMillis)
  })

  it.prop(
    "extract: a family cut at a random size, with random tags spliced in, stays within budget",
    [fc.constantFrom(...Adversarial.html), fc.integer({ min: 1, max: pageLimit }), fc.array(fc.constantFrom(...tagPieces), { maxLength: 20 }), fc.nat()],
    ([family, size, inserts, seed]) => {
      let page = family.make(size)
      inserts.forEach((piece, i) => {
        const at = (seed * (i + 7)) % (page.length + 1)
        page = page.slice(0, at) + piece + page.slice(at)
      })
      const { millis } = cpuMillis(() => extract(page, "https://adversarial.test/"))
      expect(millis).toBeLessThan(budgetMillis)
    },
    { fastCheck: { numRuns: 25 } }
  )

  it.prop("extract: random tag soup never throws, and its text is clean lines", [soup(tagPieces, 400)], ([html]) => {
    const x = extract(html, "https://soup.test/")
    for (const line of x.text.split("\n")) {
      if (x.text === "") break
      expect(line).toBe(line.trim())
      expect(line).not.toBe("")
      expect(line).not.toMatch(/\s\s/)
    }
    for (const email of x.emails) expect(email).toMatch(/^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,24}$/)
    for (const link of x.links) expect(link.url).toMatch(/^https?:\/\/[^#]*$/)
  })

  it.prop("scan: open and close events are balanced and nest, whatever the soup", [soup(tagPieces, 400)], ([html]) => {
    const stack: Array<string> = []
    scan(html, {
      open: (name) => void stack.push(name),
      text: () => {},
      close: (name) => expect(stack.pop()).toBe(name)
    })
    expect(stack).toEqual([])
  })

  it("scan: 300,000 nested elements and 300,000 stray close tags stay within budget, 512 deep at most", () => {
    const nested = "<div>".repeat(300_000) + "</span>".repeat(300_000)
    let depth = 0
    let deepest = 0
    const { millis } = cpuMillis(() =>
      scan(nested, {
        open: () => void (deepest = Math.max(deepest, ++depth)),
        text: () => {},
        close: () => void depth--
      })
    )
    expect(millis).toBeLessThan(budgetMillis)
    // 512 stay open; each deeper one is opened and closed at once, one level further.
    expect(deepest).toBe(513)
    expect(depth).toBe(0)
  })
})

describe("signal scanners", () => {
  const runs = fc.constantFrom(...signalPieces).chain((piece) =>
    fc.integer({ min: 1, max: Math.floor(pageLimit / piece.length) }).map((n) => piece.repeat(n))
  )

  it.prop("emailsIn, phonesIn and deobfuscate on a long run of one piece stay within budget", [runs, soup(signalPieces, 50)], ([run, tail]) => {
    const text = run + tail
    expect(cpuMillis(() => emailsIn(flatten(text))).millis).toBeLessThan(budgetMillis)
    expect(cpuMillis(() => phonesIn(flatten(text))).millis).toBeLessThan(budgetMillis)
    expect(cpuMillis(() => deobfuscate(text)).millis).toBeLessThan(budgetMillis)
  }, { fastCheck: { numRuns: 30 } })

  it.prop("emailsIn finds what the old regular expression found, on short text", [soup(signalPieces, 40)], ([text]) => {
    expect(emailsIn(flatten(text))).toEqual(old.emails(text))
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("deobfuscate agrees with the old one up to white space", [soup(signalPieces, 40)], ([text]) => {
    expect(deobfuscate(text)).toBe(flatten(old.deobfuscate(text)))
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("phonesIn finds what the old regular expressions found, on short text", [soup(signalPieces, 30)], ([text]) => {
    const normalise = (raw: ReadonlyArray<string>) => raw.map((p) => flatten(p))
    const found = phonesIn(flatten(text))
    const expected = old.phones(text).flatMap((p) => {
      const digits = p.replace(/\D/g, "").replace(p.trim().startsWith("00") ? /^00/ : /^$/, "")
      if (digits.length < 7 || digits.length > 15) return []
      return [p.trim().startsWith("+") || p.trim().startsWith("00") ? `+${digits}` : digits]
    })
    expect(normalise(found)).toEqual(expected)
  }, { fastCheck: { numRuns: 2000 } })

  it("finds emails and phones next to the adversarial runs", () => {
    const text = flatten(`${" ".repeat(100_000)}Write to Jane [at] Acme [dot] test, ${"a".repeat(100_000)} or call +44 20 7946 0000`)
    expect(emailsIn(text)).toEqual(["jane@acme.test"])
    expect(new Set(phonesIn(text))).toEqual(new Set(["+442079460000"]))
  })
})

describe("sitemap scanning", () => {
  it.each(Adversarial.sitemaps.map((f) => [f.name, f] as const))("%s at the 2 MB limit stays within budget", (_, family) => {
    const xml = family.make(pageLimit)
    const { millis, result } = cpuMillis(() => sitemapLocations(xml))
    expect(millis).toBeLessThan(budgetMillis)
    expect(result.length).toBeLessThanOrEqual(1000)
  })

  const xmlPieces = ["<loc>", "</loc>", "<LOC>", "</Loc>", "<", ">", "a", "/", " ", "\n", "&amp;", "https://a.test/x", "<url>"]
  it.prop("reads what the old regular expression read", [soup(xmlPieces, 60)], ([xml]) => {
    expect(sitemapLocations(xml, 10_000)).toEqual(old.sitemap(xml))
  }, { fastCheck: { numRuns: 2000 } })
})

describe("bounded outputs", () => {
  it("a megabyte title or meta description is cut to 1,000 characters", () => {
    const huge = "word ".repeat(200_000)
    const x = extract(`<title>${huge}</title><meta name="description" content="${huge}"><h1>${huge}</h1>`, "https://a.test/")
    expect(x.title.length).toBeLessThanOrEqual(1000)
    expect(x.description.length).toBeLessThanOrEqual(1000)
    expect(x.headings[0]!.length).toBeLessThanOrEqual(1000)
    expect(x.title.startsWith("word word")).toBe(true)
  })
})
