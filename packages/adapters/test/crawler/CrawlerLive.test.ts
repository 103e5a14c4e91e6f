import { describe, expect, it } from "@effect/vitest"
import { Crawler } from "@leadgraph/core"
import { ConfigProvider, Effect, Layer } from "effect"
import * as Resolver from "../../src/crawler/Resolver.js"
import * as CrawlerLive from "../../src/crawler/CrawlerLive.js"
import { expectedAddress } from "../../src/crawler/testing/sites.js"
import { normalizePhone } from "../../src/crawler/internal/signals.js"
import { crawlerOf, pathsOf, setup, testOptions } from "./fixture.js"

const rolesOf = (r: Crawler.CrawlResult) => r.pages.map((p) => `${p.role} ${new URL(p.url).pathname}`)

describe("CrawlerLive on the realistic fixture sites", () => {
  it.scopedLive("Northwind Logistics (English, gzip, <address>, mailto)", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const r = yield* crawler.crawl(web.url("northwind-logistics.test"))
      expect(rolesOf(r)).toEqual([
        "home /", "about /about", "contact /contact", "team /company/leadership", "careers /careers", "products /products"
      ])
      expect(r.signals.emails).toEqual([
        "info@northwind-logistics.test",
        "ben.kowalski@northwind-logistics.test",
        "liam.rossi@northwind-logistics.test",
        "grace.nakamura@northwind-logistics.test",
        "jobs@northwind-logistics.test"
      ])
      expect(r.signals.phones).toEqual(["+6562549051"])
      expect(r.signals.socials.map((s) => `${s.network} ${s.url}`)).toEqual([
        "linkedin https://linkedin.com/company/northwind-logistics",
        "twitter https://x.com/northwindhq",
        "facebook https://facebook.com/northwindlogistics",
        "youtube https://youtube.com/@northwind"
      ])
      expect(r.signals.addresses).toEqual(["Northwind Logistics, 169 Robinson Road, 06892 Singapore, Singapore"])
      const team = r.pages.find((p) => p.role === "team")!
      expect(team.title).toBe("Leadership | Northwind Logistics")
      expect(team.headings).toEqual(["Leadership", "Ben Kowalski", "Liam Rossi", "Grace Nakamura"])
      expect(team.text).toContain("Ben Kowalski\nChief Executive Officer\nben.kowalski@northwind-logistics.test")
      expect(r.corpus).not.toContain("We use cookies")
      expect(r.corpus).not.toContain("do-not-index@tracker.test")
      expect(r.stats).toMatchObject({ requests: 7, pages: 6, refusedByRobots: 0 })
      // Served gzip-encoded: fewer bytes on the wire than decoded.
      expect(r.stats.bytes).toBeLessThan(r.pages.reduce((n, p) => n + p.bytes, 0))
      expect(r.skipped).toEqual([])
      // Nothing the picker should leave alone was fetched.
      expect(pathsOf(yield* web.log, "northwind-logistics.test")).toEqual([
        "/robots.txt", "/", "/about", "/contact", "/company/leadership", "/careers", "/products"
      ])
    }))

  it.scopedLive("Bluefin Analytics (brotli, microdata, [at]/[dot] emails, sitemap hint)", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const r = yield* crawler.crawl(web.url("bluefin-analytics.test"))
      expect(rolesOf(r)).toContain("about /company/history")
      expect(pathsOf(yield* web.log, "bluefin-analytics.test").slice(0, 3)).toEqual(["/robots.txt", "/", "/sitemap.xml"])
      expect(r.signals.emails).toEqual([
        "info@bluefin-analytics.test",
        "jonas.tan@bluefin-analytics.test",
        "anna.moreau@bluefin-analytics.test",
        "ines.walsh@bluefin-analytics.test",
        "wei.tan@bluefin-analytics.test",
        "jobs@bluefin-analytics.test"
      ])
      expect(r.signals.phones).toEqual(["+442074471706"])
      expect(r.signals.addresses).toEqual(["82 Bishopsgate, EC2M 43, London, United Kingdom"])
    }))

  it.scopedLive("Acorn Robotics (German paths, JSON-LD address)", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const r = yield* crawler.crawl(web.url("acorn-robotics.test"))
      expect(rolesOf(r)).toEqual([
        "home /", "about /ueber-uns", "contact /kontakt", "team /team", "careers /karriere", "products /leistungen"
      ])
      expect(r.signals.addresses).toEqual(["91 Friedrichstraße, 1014, Berlin, Germany"])
      expect(r.signals.emails).toContain("olga.garcia@acorn-robotics.test")
      expect(r.signals.phones).toEqual(["+49306263342"])
      expect(r.pages[1]!.text).toContain("Founded in 2014 in Berlin, Acorn Robotics employs 138 people.")
    }))

  it.scopedLive("every company site: people, emails, phone, address, socials and all roles", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      expect(web.companies.length).toBeGreaterThanOrEqual(20)
      const results = yield* Effect.forEach(web.companies, (c) => crawler.crawl(web.url(c.host)), { concurrency: 8 })
      results.forEach((r, i) => {
        const c = web.companies[i]!
        expect(new Set(r.pages.map((p) => p.role))).toEqual(new Set(["home", "about", "contact", "team", "careers", "products"]))
        for (const person of c.people) {
          expect(r.signals.emails).toContain(person.email)
          expect(r.corpus).toContain(`${person.name}\n${person.title}`)
        }
        expect(r.signals.emails).toContain(c.email)
        expect(r.signals.phones).toEqual([normalizePhone(c.phone)])
        expect(r.signals.addresses).toEqual([expectedAddress(c)])
        expect(r.signals.socials.map((s) => s.url)).toEqual(c.socials.map((s) => s.replace("www.", "")))
        expect(r.signals.emails).not.toContain("do-not-index@tracker.test")
      })
    }))

  it.scopedLive("Latin-1, Shift_JIS and malformed pages are decoded and extracted", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const latin1 = yield* crawler.crawl(web.url("latin1.test"))
      expect(latin1.pages.map((p) => p.title)).toEqual(["Müller Präzisionstechnik GmbH", "Über uns", "Kontakt"])
      expect(latin1.pages[1]!.text).toContain("Gegründet 1952 in Göppingen. Geschäftsführer: Jürgen Weiß.")
      expect(latin1.signals.addresses).toEqual(["Hauptstraße 5, 73033 Göppingen"])
      const sjis = yield* crawler.crawl(web.url("sjis.test"))
      expect(sjis.pages.map((p) => `${p.role} ${p.title}`)).toEqual(["home 株式会社サクラ精機", "about 会社概要", "contact お問い合わせ"])
      expect(sjis.pages[1]!.text).toBe("会社概要\n代表取締役社長 山田太郎\n電話: 03-1234-5678")
      expect(sjis.signals).toMatchObject({ emails: ["info@sjis.test"], phones: ["0312345678"] })
      const malformed = yield* crawler.crawl(web.url("malformed.test"))
      expect(malformed.pages[0]!.title).toBe("Malformed & Sons")
      expect(malformed.signals).toMatchObject({ emails: ["owner@malformed.test"], phones: ["+61293744000"] })
    }))
})

describe("CrawlerLive corpus and configuration", () => {
  it.scopedLive("the corpus is cut deterministically at the character limit", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ corpusCharLimit: 300 })
      const a = yield* crawler.crawl(web.url("harbor-software.test"))
      const b = yield* crawler.crawl(web.url("harbor-software.test"))
      expect(a.corpus.length).toBe(300)
      expect(a.corpusTruncated).toBe(true)
      expect(a.corpus).toBe(b.corpus)
      expect(a.corpus.startsWith("## Home | Harbor Software\n")).toBe(true)
      expect(CrawlerLive.corpusOf(a.pages, 100_000).truncated).toBe(false)
      expect(Crawler.withoutCorpus(a).corpus).toBe("")
      expect(Crawler.withoutCorpus(a).pages.every((p) => p.text === "")).toBe(true)
    }))

  it.scopedLive("layerConfig reads EXTRACT_CORPUS_CHAR_LIMIT and CRAWLER_USER_AGENT", () =>
    Effect.gen(function*() {
      const { web } = yield* setup()
      const provider = ConfigProvider.fromMap(new Map([
        ["EXTRACT_CORPUS_CHAR_LIMIT", "120"],
        ["CRAWLER_USER_AGENT", "AcmeBot/2.0"]
      ]))
      const crawler = yield* crawlerOf(
        CrawlerLive.layerConfig(testOptions).pipe(Layer.provide(web.resolver), Layer.provide(Layer.setConfigProvider(provider)))
      )
      const r = yield* crawler.crawl(web.url("vertex-energy.test"))
      expect(r.corpus.length).toBe(120)
      expect(new Set((yield* web.log).map((e) => e.userAgent))).toEqual(new Set(["AcmeBot/2.0"]))
    }))

  it.scopedLive("sends the default user agent, which names leadgraph", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ userAgent: CrawlerLive.defaults.userAgent })
      yield* crawler.crawl(web.url("orchid-biotech.test"))
      const agents = new Set((yield* web.log).map((e) => e.userAgent))
      expect([...agents]).toEqual([CrawlerLive.defaults.userAgent])
      expect(CrawlerLive.defaults.userAgent).toMatch(/^LeadGraphBot\//)
    }))

  it.scopedLive("bad websites fail with a typed error", () =>
    Effect.gen(function*() {
      const { crawler } = yield* setup()
      const reasons = yield* Effect.forEach(["ftp://files.test/", "http://", "http://nowhere.invalid/"], (w) =>
        Effect.flip(crawler.crawl(w)).pipe(Effect.map((e) => e.reason)))
      expect(reasons).toEqual(["InvalidUrl", "InvalidUrl", "Unreachable"])
      const error = yield* Effect.flip(crawler.crawl("http://nowhere.invalid/"))
      expect(error.retryable).toBe(true)
      expect(error.message).toBe("crawl of http://nowhere.invalid/ failed: Unreachable")
    }))

  it.scopedLive("a bare domain gets the default scheme", () =>
    Effect.gen(function*() {
      const { web } = yield* setup()
      const crawler = yield* crawlerOf(
        CrawlerLive.layer({ ...testOptions, defaultScheme: "http" }).pipe(
          Layer.provide(Resolver.layerStatic({ "*.test": "127.0.0.1" }))
        )
      )
      // Port 80 has no fixture server: the attempt proves the scheme and host used.
      const error = yield* Effect.flip(crawler.crawl("northwind-logistics.test"))
      expect(error.url).toBe("http://northwind-logistics.test/")
      expect(web.port).toBeGreaterThan(0)
    }))
})
