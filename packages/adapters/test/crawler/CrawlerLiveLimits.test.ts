import { describe, expect, it } from "@effect/vitest"
import { Crawler } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import * as Robots from "../../src/crawler/Robots.js"
import * as CrawlerLive from "../../src/crawler/CrawlerLive.js"
import { crawlerOf, pathsOf, setup, testOptions } from "./fixture.js"

const skippedOf = (r: Crawler.CrawlResult) => r.skipped.map((s) => `${s.reason} ${new URL(s.url).pathname}`)

describe("CrawlerLive and robots.txt, from the access log", () => {
  it.scopedLive("no URL disallowed by its host's robots.txt is ever fetched, over every fixture site", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ requestTimeout: "1 second", maxBytes: 64 * 1024 })
      const hosts = web.sites.map((s) => s.host).filter((h) => !h.startsWith("www."))
      yield* Effect.forEach(hosts, (h) => Effect.either(crawler.crawl(web.url(h))), { concurrency: 8 })
      const log = yield* web.log
      let checked = 0
      for (const entry of log) {
        if (/^\/robots(-\d|-final)?\.txt$/.test(entry.path)) continue
        const site = web.sites.find((s) => s.host === entry.host)!
        const reply = site.route("/robots.txt", web.port)
        const rules = reply?.kind === "page" && (reply.status ?? 200) < 300 && typeof reply.body === "string"
          ? Robots.parse(reply.body.slice(0, 500 * 1024).replaceAll("{origin}", web.url(site.host).slice(0, -1)), `${web.url(site.host)}robots.txt`)
          : Robots.allowAll(`${web.url(site.host)}robots.txt`)
        // robots-redirect.test's rules live behind its redirects.
        const effective = site.host === "robots-redirect.test"
          ? Robots.parse("User-agent: *\nDisallow: /team\n", `${web.url(site.host)}robots.txt`)
          : rules
        expect(effective.isAllowed(`http://${entry.host}:${web.port}${entry.path}`, testOptions.userAgent ?? CrawlerLive.defaults.userAgent), `${entry.host}${entry.path}`).toBe(true)
        checked++
      }
      expect(checked).toBeGreaterThan(150)
      expect(pathsOf(log, "robots-all.test")).toEqual(["/robots.txt"])
      expect(pathsOf(log, "robots-500.test")).toEqual(["/robots.txt"])
    }))

  it.scopedLive("product-token groups, longest match and percent-encoding decide what is fetched", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const r = yield* crawler.crawl(web.url("robots-part.test"))
      expect(pathsOf(yield* web.log, "robots-part.test")).toEqual(["/robots.txt", "/", "/about", "/contact", "/private/press"])
      expect(skippedOf(r).sort()).toEqual([
        "robots /caf%C3%A9/products", "robots /private/finance", "robots /team", "robots /~hidden/careers"
      ])
      expect(r.stats.refusedByRobots).toBe(4)
    }))

  it.scopedLive("disallow-all, a 500 and an unreachable host all mean nothing is fetched", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      for (const host of ["robots-all.test", "robots-500.test"]) {
        const error = yield* Effect.flip(crawler.crawl(web.url(host)))
        expect(error.reason).toBe("RobotsDisallowed")
        expect(error.retryable).toBe(false)
      }
      expect((yield* web.log).map((e) => e.path)).toEqual(["/robots.txt", "/robots.txt"])
    }))

  it.scopedLive("robots.txt: redirects followed, only 500 KiB parsed, fetched once per host", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      yield* crawler.crawl(web.url("robots-redirect.test"))
      const big = yield* crawler.crawl(web.url("big-robots.test"))
      yield* crawler.crawl(web.url("big-robots.test"))
      const log = yield* web.log
      expect(pathsOf(log, "robots-redirect.test")).toEqual([
        "/robots.txt", "/robots-1.txt", "/robots-2.txt", "/robots-final.txt", "/", "/about"
      ])
      // The Disallow: /about past 500 KiB is ignored; /team, before it, holds.
      expect(big.pages.map((p) => new URL(p.url).pathname)).toEqual(["/", "/about"])
      expect(pathsOf(log, "big-robots.test").filter((p) => p === "/robots.txt")).toHaveLength(1)
    }))

  it.scopedLive("robots.txt 403 or a redirect loop means allow all; a time-out means disallow all", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ requestTimeout: "300 millis" })
      const forbidden = yield* crawler.crawl(web.url("robots-403.test"))
      expect(forbidden.pages.map((p) => p.role)).toEqual(["home", "about"])
      const loop = yield* crawler.crawl(web.url("robots-loop.test"))
      expect(loop.pages.map((p) => p.role)).toEqual(["home", "contact"])
      const slow = yield* Effect.flip(crawler.crawl(web.url("robots-slow.test")))
      expect(slow.reason).toBe("RobotsDisallowed")
      const log = yield* web.log
      expect(pathsOf(log, "robots-loop.test")).toEqual(["/robots.txt", "/robots-a.txt", "/", "/contact"])
      expect(pathsOf(log, "robots-slow.test")).toEqual(["/robots.txt"])
    }))

  it.scopedLive("a crawl interrupted while robots.txt loads does not cancel the fetch others wait for", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ requestTimeout: "300 millis" })
      const first = yield* Effect.either(Effect.timeout(crawler.crawl(web.url("robots-slow.test")), "50 millis"))
      expect(first._tag === "Left" && first.left._tag).toBe("TimeoutException")
      const second = yield* Effect.flip(crawler.crawl(web.url("robots-slow.test")))
      expect(second.reason).toBe("RobotsDisallowed")
      expect(pathsOf(yield* web.log, "robots-slow.test")).toEqual(["/robots.txt"])
    }))

  it.scopedLive("a Crawl-delay above maxCrawlDelay means the site is not crawled", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ maxCrawlDelay: "100 millis" })
      const error = yield* Effect.flip(crawler.crawl(web.url("crawl-delay.test")))
      expect(error.reason).toBe("CrawlDelayTooLong")
      expect(pathsOf(yield* web.log, "crawl-delay.test")).toEqual(["/robots.txt"])
    }))
})

describe("CrawlerLive politeness, from the access log", () => {
  it.scopedLive("per-host gaps of max(Crawl-delay, minDelay) while other hosts run in parallel", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ minDelay: "100 millis" })
      const hosts = ["crawl-delay.test", "northwind-logistics.test", "bluefin-analytics.test", "acorn-robotics.test"]
      yield* Effect.forEach(hosts, (h) => crawler.crawl(web.url(h)), { concurrency: "unbounded" })
      const log = yield* web.log
      for (const host of hosts) {
        const times = log.filter((e) => e.host === host).map((e) => e.time)
        const gaps = times.slice(1).map((t, i) => t - times[i]!)
        expect(gaps.length, host).toBeGreaterThanOrEqual(3)
        expect(Math.min(...gaps), host).toBeGreaterThanOrEqual(host === "crawl-delay.test" ? 200 : 100)
      }
      // The slow host did not hold the others back: while it was crawled (from
      // its first request to its last, in the log's order), at least two other
      // hosts were served too.
      const first = log.findIndex((e) => e.host === "crawl-delay.test")
      const last = log.map((e) => e.host).lastIndexOf("crawl-delay.test")
      const between = log.slice(first + 1, last).filter((e) => e.host !== "crawl-delay.test")
      expect(new Set(between.map((e) => e.host)).size).toBeGreaterThanOrEqual(2)
    }))

  it.scopedLive("two crawls of one host share its politeness turn", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ minDelay: "80 millis" })
      yield* Effect.all([crawler.crawl(web.url("harbor-software.test")), crawler.crawl(web.url("harbor-software.test"))], {
        concurrency: "unbounded"
      })
      const times = (yield* web.log).filter((e) => e.host === "harbor-software.test").map((e) => e.time)
      expect(times.length).toBe(13)
      expect(Math.min(...times.slice(1).map((t, i) => t - times[i]!))).toBeGreaterThanOrEqual(80)
    }))
})

describe("CrawlerLive limits", () => {
  it.scopedLive("the endless page is cut at maxBytes, the drip times out, binary is not parsed", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ maxBytes: 64 * 1024, requestTimeout: "1 second" })
      const endless = yield* crawler.crawl(web.url("endless.test"))
      const products = endless.pages.find((p) => p.role === "products")!
      expect(products).toMatchObject({ bytes: 64 * 1024, truncated: true, title: "Products" })
      const drip = yield* crawler.crawl(web.url("drip.test"))
      expect(skippedOf(drip)).toEqual(["timeout /about"])
      expect(drip.pages.map((p) => p.role)).toEqual(["home", "contact"])
      const binary = yield* crawler.crawl(web.url("binary.test"))
      expect(skippedOf(binary)).toEqual(["notHtml /about.html", "notHtml /products.html"])
      expect(binary.signals.emails).toEqual(["sales@binary.test"])
      expect(pathsOf(yield* web.log, "endless.test").filter((p) => p === "/products")).toHaveLength(1)
    }))

  it.scopedLive("a redirect loop stops, a chain longer than maxRedirects is cut, short chains are followed", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const loop = yield* Effect.flip(crawler.crawl(web.url("redirect-loop.test")))
      expect(loop.reason).toBe("TooManyRedirects")
      const chain = yield* crawler.crawl(web.url("redirect-chain.test"))
      expect(skippedOf(chain)).toEqual(["redirects /about"])
      expect(chain.pages.map((p) => new URL(p.url).pathname)).toEqual(["/", "/contact-us"])
      const www = yield* crawler.crawl(web.url("www-redirect.test"))
      expect(www.finalUrl).toBe(web.url("www.www-redirect.test"))
      expect(www.pages.map((p) => p.url)).toEqual([
        web.url("www.www-redirect.test"), `${web.url("www.www-redirect.test")}about`, `${web.url("www.www-redirect.test")}contact`
      ])
      const log = yield* web.log
      expect(pathsOf(log, "redirect-loop.test")).toEqual(["/robots.txt", "/", "/a", "/b"])
      expect(pathsOf(log, "redirect-chain.test")).toEqual([
        "/robots.txt", "/", "/about", "/about-1", "/about-2", "/about-3", "/about-4", "/about-5", "/contact", "/contact-1", "/contact-us"
      ])
    }))
})

describe("CrawlerLive and private addresses (no SSRF)", () => {
  it.scopedLive("links and redirects to private addresses are refused before any connection", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const r = yield* crawler.crawl(web.url("offsite.test"))
      expect(r.pages.map((p) => p.role)).toEqual(["home"])
      // /about redirects to www.offsite.test (same site, private address); the others leave the site.
      expect(skippedOf(r).sort()).toEqual(["address /about", "offsite /careers", "offsite /contact", "offsite /team"])
      for (const host of ["intranet.test", "ssrf-redirect.test", "metadata-redirect.test"]) {
        const refused = yield* Effect.flip(crawler.crawl(web.url(host)))
        expect(refused.reason, host).toBe("AddressRefused")
      }
      const literal = yield* Effect.flip(crawler.crawl(`http://127.0.0.2:${web.port}/`))
      expect(literal.reason).toBe("AddressRefused")
      const metadata = yield* Effect.flip(crawler.crawl("http://169.254.169.254/latest/meta-data/"))
      expect(metadata.reason).toBe("AddressRefused")
      const log = yield* web.log
      // The decoy on 127.0.0.2 (a private address) saw nothing; nor did other sites.
      expect(log.filter((e) => e.localAddress !== "127.0.0.1")).toEqual([])
      expect(log.filter((e) => e.host === "intranet.test" || e.host === "127.0.0.2")).toEqual([])
      expect(new Set(log.map((e) => e.host))).toEqual(new Set(["offsite.test", "ssrf-redirect.test", "metadata-redirect.test"]))
      expect(pathsOf(log, "ssrf-redirect.test")).toEqual(["/robots.txt", "/"])
    }))

  it.scopedLive("the decoy is really listening: an allow-list that names it lets the request through", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ allowAddresses: ["127.0.0.0/8"] })
      const r = yield* crawler.crawl(web.url("intranet.test"))
      expect(r.pages[0]!.title).toBe("Intranet")
      expect(new Set((yield* web.log).map((e) => e.localAddress))).toEqual(new Set(["127.0.0.2"]))
    }))

  it.scopedLive("without an allow-list even the fixture sites on loopback are refused", () =>
    Effect.gen(function*() {
      const { web } = yield* setup()
      const crawler = yield* crawlerOf(
        CrawlerLive.layer({ minDelay: "10 millis" }).pipe(Layer.provide(web.resolver))
      )
      const error = yield* Effect.flip(crawler.crawl(web.url("northwind-logistics.test")))
      expect(error.reason).toBe("AddressRefused")
      expect(yield* web.log).toEqual([])
    }))
})
