import { describe, expect, it } from "@effect/vitest"
import { Crawler } from "@leadgraph/core"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as CrawlerLive from "../../src/crawler/CrawlerLive.js"
import * as Adversarial from "../../src/crawler/testing/Adversarial.js"
import { crawlerOf, setup, testOptions } from "./fixture.js"

/** About 2 MB of never-closed `<div>`s: far longer to parse than the deadline below, in any thread. */
const pathological = Adversarial.html.find((f) => f.name === "nested-div")!.make(2 * 1024 * 1024 - 1024)

const home = (port: number) =>
  `<!DOCTYPE html><html><head><title>Slow Parse Ltd</title></head><body><h1>Slow Parse Ltd</h1>
<a href="http://slow-about.test:${port}/about">About us</a> <a href="http://slow-about.test:${port}/contact">Contact</a>
<p>Write to hello@slow-about.test</p></body></html>`

/**
 * A tiny server on 127.0.0.1 (its hosts resolve there through the fixture's
 * `*.test` entry): `slow-home.test` serves the pathological page as its home
 * page; `slow-about.test` a normal home page whose about page is pathological.
 */
const slowSites = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly close: () => void }>((resume) => {
    const server = createServer((req, res) => {
      const host = String(req.headers.host ?? "").replace(/:\d+$/, "")
      const reply = (status: number, body: string) => {
        res.writeHead(status, { "content-type": status === 200 ? "text/html; charset=utf-8" : "text/plain" })
        res.end(body)
      }
      if (req.url === "/robots.txt") return reply(404, "not found")
      if (host === "slow-home.test" && req.url === "/") return reply(200, pathological)
      if (host === "slow-about.test" && req.url === "/") return reply(200, home((server.address() as AddressInfo).port))
      if (host === "slow-about.test" && req.url === "/about") return reply(200, pathological)
      if (host === "slow-about.test" && req.url === "/contact") return reply(200, "<title>Contact</title><p>+44 20 7447 1706</p>")
      reply(404, "not found")
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({ port: (server.address() as AddressInfo).port, close: () => server.close() })))
  }),
  (s) => Effect.sync(() => s.close())
)

// An ordinary fixture page parses in milliseconds; the pathological one takes hundreds.
const parseTimeout = Duration.millis(100)

describe("CrawlerLive parse deadline", () => {
  it.scopedLive("a home page past the deadline fails with ParseTimeout while a site crawled alongside keeps all its pages", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ parseTimeout })
      const slow = yield* slowSites
      const company = web.companies[0]!
      const [stuck, normal] = yield* Effect.all([
        Effect.flip(crawler.crawl(`http://slow-home.test:${slow.port}/`)),
        crawler.crawl(web.url(company.host))
      ], { concurrency: "unbounded" })
      expect(stuck).toBeInstanceOf(Crawler.CrawlerError)
      expect(stuck.reason).toBe("ParseTimeout")
      expect(stuck.url).toBe(`http://slow-home.test:${slow.port}/`)
      expect(stuck.retryable).toBe(false)
      expect(new Set(normal.pages.map((p) => p.role))).toEqual(new Set(["home", "about", "contact", "team", "careers", "products"]))
      expect(normal.skipped).toEqual([])
      expect(normal.signals.emails).toContain(company.email)
    }))

  it.scopedLive("a linked page past the deadline is skipped as parseTimeout and the crawl goes on", () =>
    Effect.gen(function*() {
      const { crawler } = yield* setup({ parseTimeout })
      const slow = yield* slowSites
      const r = yield* crawler.crawl(`http://slow-about.test:${slow.port}/`)
      expect(r.pages.map((p) => `${p.role} ${new URL(p.url).pathname}`)).toEqual(["home /", "contact /contact"])
      expect(r.skipped.map((s) => `${s.reason} ${new URL(s.url).pathname}`)).toEqual(["parseTimeout /about"])
      expect(r.signals.emails).toEqual(["hello@slow-about.test"])
      expect(r.signals.phones).toEqual(["+442074471706"])
    }))

  it.scopedLive("CRAWLER_PARSE_WORKERS and CRAWLER_PARSE_TIMEOUT_MS are read and validated", () =>
    Effect.gen(function*() {
      const { web } = yield* setup()
      const slow = yield* slowSites
      const provider = ConfigProvider.fromMap(new Map([["CRAWLER_PARSE_WORKERS", "1"], ["CRAWLER_PARSE_TIMEOUT_MS", "100"]]))
      const crawler = yield* crawlerOf(
        CrawlerLive.layerConfig(testOptions).pipe(Layer.provide(web.resolver), Layer.provide(Layer.setConfigProvider(provider)))
      )
      const error = yield* Effect.flip(crawler.crawl(`http://slow-home.test:${slow.port}/`))
      expect(error.reason).toBe("ParseTimeout")
      for (const [key, value] of [["CRAWLER_PARSE_WORKERS", "-1"], ["CRAWLER_PARSE_TIMEOUT_MS", "0"]] as const) {
        const bad = ConfigProvider.fromMap(new Map([[key, value]]))
        const failure = yield* Effect.flip(Effect.withConfigProvider(CrawlerLive.config, bad))
        expect(String(failure)).toContain(key)
      }
    }))

  it.scopedLive("a home page its parser fails on ends the crawl with ParseFailed, typed and not retryable", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ parseWorkerScript: new URL("./workers/refuse.ts", import.meta.url) })
      const error = yield* Effect.flip(crawler.crawl(web.url(web.companies[0]!.host)))
      expect(error).toBeInstanceOf(Crawler.CrawlerError)
      expect(error.reason).toBe("ParseFailed")
      expect(error.retryable).toBe(false)
    }))

  it.scopedLive("with no parse threads (parseWorkers: 0) pages are parsed in-thread", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup({ parseWorkers: 0 })
      const r = yield* crawler.crawl(web.url(web.companies[1]!.host))
      expect(new Set(r.pages.map((p) => p.role))).toEqual(new Set(["home", "about", "contact", "team", "careers", "products"]))
    }))
})
