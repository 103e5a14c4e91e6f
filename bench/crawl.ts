/**
 * Two sections:
 *
 * - fixtures: crawls every fixture site (company and hostile) with the live
 *   crawler over real HTTP on 127.0.0.1 and prints, per site and in total:
 *   requests, pages kept, URLs refused by robots.txt, bytes on the wire and
 *   time;
 * - adversarial: the CPU time of the crawler's text work on an adversarial
 *   corpus at n and 2n, the ratio, and the worst page (see
 *   bench/crawl/adversarial.ts).
 *
 * `npm run bench -- crawl [fixtures|adversarial] [concurrency] [minDelayMs]`
 * (defaults: both sections, 8 sites at a time, the crawler's default 500 ms
 * between requests to a host). Results go to bench/results/.
 */
import { CrawlerLive } from "@leadgraph/adapters"
import { FixtureWeb } from "@leadgraph/adapters/testing"
import { Crawler } from "@leadgraph/core"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import * as Adversarial from "./crawl/adversarial.js"

const args = process.argv.slice(2)
const only = args[0] === "fixtures" || args[0] === "adversarial" ? args.shift() : undefined
const concurrency = Number(args[0] ?? 8)
const minDelay = args[1] === undefined ? CrawlerLive.defaults.minDelay : Duration.millis(Number(args[1]))

const program = Effect.gen(function*() {
  const web = yield* FixtureWeb.make()
  const crawlerLayer = CrawlerLive.layer({
    allowAddresses: ["127.0.0.1/32"],
    defaultScheme: "http",
    requestTimeout: "2 seconds",
    minDelay
  }).pipe(Layer.provide(web.resolver))
  const crawler = Context.get(yield* Layer.build(crawlerLayer), Crawler.Crawler)
  const hosts = web.sites.map((s) => s.host).filter((h) => !h.startsWith("www."))
  const started = yield* Clock.currentTimeMillis
  const rows = yield* Effect.forEach(hosts, (host) =>
    Effect.gen(function*() {
      const t0 = yield* Clock.currentTimeMillis
      const result = yield* Effect.either(crawler.crawl(web.url(host)))
      const t1 = yield* Clock.currentTimeMillis
      return { host, result, millis: t1 - t0 }
    }), { concurrency })
  const total = (yield* Clock.currentTimeMillis) - started
  const log = yield* web.log

  const pad = (s: string | number, n: number) => String(s).padEnd(n)
  console.log(`${pad("site", 28)}${pad("outcome", 20)}${pad("pages", 7)}${pad("robots", 8)}${pad("bytes", 10)}ms`)
  let pages = 0
  let refused = 0
  let bytes = 0
  let failed = 0
  for (const row of rows) {
    if (row.result._tag === "Right") {
      const s = row.result.right.stats
      pages += s.pages
      refused += s.refusedByRobots
      bytes += s.bytes
      console.log(`${pad(row.host, 28)}${pad("ok", 20)}${pad(s.pages, 7)}${pad(s.refusedByRobots, 8)}${pad(s.bytes, 10)}${row.millis}`)
    } else {
      failed++
      const e = row.result.left
      if (e.reason === "RobotsDisallowed") refused++
      console.log(`${pad(row.host, 28)}${pad(e.reason, 20)}${pad(0, 7)}${pad(e.reason === "RobotsDisallowed" ? 1 : 0, 8)}${pad("-", 10)}${row.millis}`)
    }
  }
  console.log("")
  console.log(`sites crawled:          ${rows.length} (${rows.length - failed} ok, ${failed} failed as expected for hostile sites)`)
  console.log(`pages fetched (kept):   ${pages}`)
  console.log(`HTTP requests (log):    ${log.length} (robots.txt, sitemaps, redirects and refused pages included)`)
  console.log(`refused by robots.txt:  ${refused}`)
  console.log(`bytes on the wire:      ${bytes}`)
  console.log(`wall time:              ${total} ms (concurrency ${concurrency}, min delay ${Duration.format(Duration.decode(minDelay))} per host)`)
  console.log(`requests to 127.0.0.2:  ${log.filter((e) => e.localAddress === "127.0.0.2").length} (private-address decoy; must be 0)`)
})

const main = Effect.gen(function*() {
  if (only !== "adversarial") yield* Effect.scoped(program)
  if (only === "fixtures") return
  const section = Adversarial.run()
  Adversarial.print(section)
  const at = new Date().toISOString()
  mkdirSync("bench/results", { recursive: true })
  const file = `bench/results/crawl-adversarial-${at.replace(/[:.]/g, "-")}.json`
  writeFileSync(file, JSON.stringify({ suite: "crawl", section: "adversarial", node: process.version, at, ...section }, null, 2))
  console.log(`results: ${file}`)
})

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
