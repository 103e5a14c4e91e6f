/**
 * Per-host politeness shared across processes, on PGlite and Postgres: two
 * crawlers with pools of their own crawl the same fixture sites at once,
 * and the fixture server's access log shows one request at a time per host
 * with at least the Crawl-delay between the end of one and the start of
 * the next, while the other host is served meanwhile. With politeness in
 * each process (the default) the same crawls overlap. A turn held by a
 * process that died blocks its host until the lease runs out, and no
 * longer; a live holder's lease is renewed while its request runs.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { CrawlerLive, SharedPoliteness } from "@leadgraph/adapters"
import { Crawler } from "@leadgraph/core"
import { Clock, Effect, Fiber, Layer } from "effect"
import * as FixtureWeb from "../../src/crawler/testing/FixtureWeb.js"
import { targets } from "../store/harness.js"
import { anotherPool } from "../store/pools.js"
import { crawlerOf } from "./fixture.js"

const crawlDelayMillis = 200
const minDelay = "40 millis"
const options: Partial<CrawlerLive.Options> = {
  allowAddresses: ["127.0.0.1/32"],
  requestTimeout: "3 seconds",
  maxPages: 2,
  parseWorkers: 0,
  minDelay
}
// the server's clock reads whole milliseconds
const tolerance = 2

const fixture = FixtureWeb.make({ latency: "60 millis", crawlDelaySeconds: crawlDelayMillis / 1000 })

/**
 * Consecutive requests to `host` (in arrival order) that overlap or leave
 * less than `gap` between the end of one and the start of the next; the
 * first `skip` gaps are not checked.
 */
const violations = (log: ReadonlyArray<FixtureWeb.Entry>, host: string, gap: number, skip = 0) => {
  const mine = log.filter((e) => e.host === host).sort((a, b) => a.time - b.time)
  return mine.slice(1).flatMap((next, i) => {
    const prev = mine[i]!
    const end = prev.answered ?? Number.POSITIVE_INFINITY
    return i >= skip && next.time - end < gap - tolerance ? [{ prev: prev.path, next: next.path, gap: next.time - end }] : []
  })
}

const crawlBoth = (a: Crawler.Service, b: Crawler.Service, web: FixtureWeb.FixtureWeb, hosts: ReadonlyArray<string>) =>
  Effect.all(
    hosts.flatMap((host) => [a.crawl(web.url(host)), b.crawl(web.url(host))]),
    { concurrency: "unbounded", discard: true }
  )

for (const target of targets("shared_politeness")) {
  describe(`SharedPoliteness across processes (${target.label})`, () => {
    // the live Clock: the database's clock and the fixture's log are real time
    layer(target.database, { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.scoped("two crawlers keep one turn per host and the Crawl-delay; other hosts go on meanwhile", () =>
        Effect.gen(function*() {
          const web = yield* fixture
          const other = yield* anotherPool
          const shared = (pool: Layer.Layer<SqlClient.SqlClient>) =>
            crawlerOf(
              Layer.scoped(Crawler.Crawler, CrawlerLive.make(options)).pipe(
                Layer.provide(SharedPoliteness.layer({ minDelay })),
                Layer.provide(web.resolver),
                Layer.provide(pool)
              )
            )
          const a = yield* shared(Layer.succeedContext(yield* Effect.context<SqlClient.SqlClient>()))
          const b = yield* shared(Layer.succeedContext(other))
          const hosts = web.companies.slice(0, 2).map((c) => c.host)
          yield* crawlBoth(a, b, web, hosts)
          const log = yield* web.log
          for (const host of hosts) {
            expect(log.filter((e) => e.host === host && e.path === "/robots.txt"), host).toHaveLength(2)
            expect(log.filter((e) => e.host === host).length, host).toBeGreaterThanOrEqual(6)
            // never two at once, and at least minDelay apart
            expect(violations(log, host, 40), host).toEqual([])
            // the Crawl-delay from the moment robots.txt was first read: the
            // gap right after the first request may start before its reader
            // has recorded the delay (as in one process)
            expect(violations(log, host, crawlDelayMillis, 1), host).toEqual([])
          }
          // the two hosts were served side by side, not one after the other
          const [x, y] = hosts.map((h) => log.filter((e) => e.host === h).map((e) => e.time))
          expect(Math.min(...y!)).toBeLessThan(Math.max(...x!))
          expect(Math.min(...x!)).toBeLessThan(Math.max(...y!))
        }))

      it.scoped("a turn left by a dead holder blocks its host until the lease runs out, other hosts not at all", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const polite = yield* SharedPoliteness.make({ minDelay: "100 millis", poll: "20 millis" })
          // a process takes the turn for 800 ms, then is killed: it neither renews nor releases
          const [taken] = yield* sql<{ wait: number }>`SELECT leadgraph_host_acquire('dead.test', 'gone:1/x', 800, 0, NULL) AS wait`
          expect(Number(taken!.wait)).toBe(0)
          const [lease] = yield* sql<{ until: number }>`SELECT (extract(epoch FROM lease_until) * 1000)::float8 AS until
            FROM leadgraph_host_leases WHERE host = 'dead.test'`
          const blocked = yield* Effect.fork(polite.run("dead.test", Clock.currentTimeMillis))
          const free = yield* polite.run("free.test", Clock.currentTimeMillis)
          const started = yield* Fiber.join(blocked)
          expect(free).toBeLessThan(Number(lease!.until))
          // the dead request counts as ended when its lease did, and the gap follows
          expect(started).toBeGreaterThanOrEqual(Number(lease!.until) + 100 - tolerance)
          const [after] = yield* sql<{ holder: string | null }>`SELECT holder FROM leadgraph_host_leases WHERE host = 'dead.test'`
          expect(after!.holder).toBeNull()
        }))

      it.scoped("a failed request and an interrupted one give the turn back; an interrupted waiter takes none", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const polite = yield* SharedPoliteness.make({ minDelay: "10 millis", poll: "20 millis" })
          const holderOf = (host: string) =>
            Effect.map(
              sql<{ holder: string | null }>`SELECT holder FROM leadgraph_host_leases WHERE host = ${host}`,
              ([row]) => row?.holder ?? null
            )
          expect(yield* Effect.flip(polite.run("fail.test", Effect.fail("boom")))).toBe("boom")
          expect(yield* holderOf("fail.test")).toBeNull()
          const hung = yield* Effect.fork(polite.run("hung.test", Effect.never))
          yield* Effect.repeat(holderOf("hung.test"), { until: (h) => h !== null })
          // a second process's waiter, interrupted while the host is held
          const other = yield* SharedPoliteness.make({ minDelay: "10 millis", poll: "20 millis" })
          const waiter = yield* Effect.fork(other.run("hung.test", Effect.void))
          yield* Effect.sleep("100 millis")
          yield* Fiber.interrupt(waiter)
          yield* Fiber.interrupt(hung)
          expect(yield* holderOf("hung.test")).toBeNull()
          expect(yield* polite.run("hung.test", Effect.succeed("again"))).toBe("again")
        }))

      it.scoped("a holder's lease is renewed while its request runs, however long", () =>
        Effect.gen(function*() {
          const other = yield* anotherPool
          const lease = { lease: "300 millis", poll: "20 millis", minDelay: "50 millis" } as const
          const a = yield* SharedPoliteness.make(lease)
          const b = yield* SharedPoliteness.make(lease).pipe(Effect.provide(other))
          const long = yield* Effect.fork(a.run("long.test", Effect.zipRight(Effect.sleep("1 second"), Clock.currentTimeMillis)))
          // b asks once a has the turn
          yield* Effect.sleep("100 millis")
          const started = yield* b.run("long.test", Clock.currentTimeMillis)
          const ended = yield* Fiber.join(long)
          expect(started).toBeGreaterThanOrEqual(ended + 50 - tolerance)
        }))
    })
  })
}

describe("SharedPoliteness: the control", () => {
  it.scopedLive("with politeness in each process, two crawlers overlap on one host", () =>
    Effect.gen(function*() {
      const web = yield* fixture
      const local = () => crawlerOf(CrawlerLive.layer(options).pipe(Layer.provide(web.resolver)))
      const [a, b] = [yield* local(), yield* local()]
      const host = web.companies[0]!.host
      yield* crawlBoth(a, b, web, [host])
      expect(violations(yield* web.log, host, 40)).not.toEqual([])
    }))
})
