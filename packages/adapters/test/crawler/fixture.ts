/**
 * Shared set-up for the live crawler tests: a fixture web and a crawler
 * pointed at it (loopback allowed, short delays so the suite stays fast).
 */
import { Crawler } from "@leadgraph/core"
import { Context, Effect, Layer } from "effect"
import type { Scope } from "effect"
import * as FixtureWeb from "../../src/crawler/testing/FixtureWeb.js"
import * as CrawlerLive from "../../src/crawler/CrawlerLive.js"

export const testOptions: Partial<CrawlerLive.Options> = {
  allowAddresses: ["127.0.0.1/32"],
  minDelay: "20 millis",
  requestTimeout: "2 seconds",
  maxPages: 8
}

export const setup = (options?: Partial<CrawlerLive.Options>) =>
  Effect.gen(function*() {
    const web = yield* FixtureWeb.make()
    const crawler = yield* crawlerOf(CrawlerLive.layer({ ...testOptions, ...options }).pipe(Layer.provide(web.resolver)))
    return { web, crawler }
  })

/** Builds a crawler layer in the test's scope (the crawler keeps fibers in it). */
export const crawlerOf = <E>(layer: Layer.Layer<Crawler.Crawler, E>): Effect.Effect<Crawler.Service, E, Scope.Scope> =>
  Effect.map(Layer.build(layer), Context.get(Crawler.Crawler))

/** Paths requested of one host, in order. */
export const pathsOf = (log: ReadonlyArray<FixtureWeb.Entry>, host: string): ReadonlyArray<string> =>
  log.filter((e) => e.host === host).map((e) => e.path)
