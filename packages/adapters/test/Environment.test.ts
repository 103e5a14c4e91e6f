/**
 * Environment's coordination switch, on PGlite and Postgres: with
 * `coordination: "database"` the crawler's turns and the vendors' rate
 * limits are taken in the database (their rows appear); by default they
 * stay in the process (no row is written).
 */
import { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { describe, expect, layer } from "@effect/vitest"
import { Environment, SharedRateLimits } from "@leadgraph/adapters"
import { Budget, Crawler, PaidResults, Tavily, VendorConnector, VerificationCache } from "@leadgraph/core"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import * as FixtureWeb from "../src/crawler/testing/FixtureWeb.js"
import * as FakeTavilyServer from "../src/tavily/testing/FakeTavilyServer.js"
import { targets } from "./store/harness.js"

const runServices = Layer.mergeAll(
  Budget.layerMemory({ [Tavily.budget]: 10 }),
  VerificationCache.layerMemory(),
  PaidResults.layerMemory
)

const nowhere = "http://127.0.0.1:9"

const night = (
  coordination: Environment.Options["coordination"],
  apiKey: string,
  site: number,
  rateLimits?: Environment.Options["rateLimits"]
) =>
  Effect.gen(function*() {
    const web = yield* FixtureWeb.make()
    const tavily = yield* FakeTavilyServer.make({ apiKey })
    // the target's pool: Environment adds its store over it
    const database = Layer.succeedContext(yield* Effect.context<PgClient.PgClient | SqlClient.SqlClient>())
    const limit = { limit: 100, interval: "1 minute" } as const
    const env = yield* Layer.build(Environment.layer({
      vendors: {
        tavily: { apiKey: Redacted.make(apiKey), baseUrl: tavily.url, rateLimit: limit },
        lusha: { apiKey: Redacted.make("unused"), baseUrl: nowhere, rateLimit: limit },
        zeroBounce: { apiKey: Redacted.make("unused"), baseUrl: nowhere, rateLimit: limit },
        openAi: { apiKey: Redacted.make("unused"), baseURL: nowhere, rateLimit: limit }
      },
      caps: {},
      coordination,
      rateLimits,
      database,
      crawler: { allowAddresses: ["127.0.0.1/32"], parseWorkers: 0, maxPages: 1, minDelay: "10 millis" },
      resolver: web.resolver
    }))
    const host = web.companies[site]!.host
    yield* Context.get(env, Crawler.Crawler).crawl(web.url(host))
    const vendors = yield* Layer.build(Context.get(env, VendorConnector.VendorConnector).connect.pipe(Layer.provide(runServices)))
    yield* Context.get(vendors, Tavily.Tavily).search({ query: "coordination" })
    const sql = yield* SqlClient.SqlClient
    const hosts = yield* sql<{ host: string }>`SELECT host FROM leadgraph_host_leases WHERE host LIKE ${`${host}%`}`
    const keys = yield* sql<{ key: string }>`SELECT key FROM leadgraph_rate_limits
      WHERE key = ${SharedRateLimits.keyOf("Tavily", [Redacted.make(apiKey)])}`
    return { hosts: hosts.length, keys: keys.length }
  })

/** A clock that reads `at` (epoch milliseconds) and sleeps as the live one does. */
const clockAt = (at: number): Clock.Clock => {
  const live = Clock.make()
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => at,
    currentTimeMillis: Effect.succeed(at),
    unsafeCurrentTimeNanos: () => BigInt(at) * 1_000_000n,
    currentTimeNanos: Effect.succeed(BigInt(at) * 1_000_000n),
    sleep: live.sleep
  }
}

for (const target of targets("environment_coordination")) {
  describe(`Environment coordination (${target.label})`, () => {
    layer(target.database, { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.scoped("\"database\" takes the crawler's turns and the vendors' limits in the database", () =>
        Effect.gen(function*() {
          expect(yield* night("database", "tvly-env-shared", 0)).toEqual({ hosts: 1, keys: 1 })
        }))

      it.scoped("rateLimits: { clock: \"effect\" } refills the shared buckets by the process's Clock, not the database's", () =>
        Effect.gen(function*() {
          const at = Date.UTC(2001, 0, 2, 3, 4, 5)
          const key = SharedRateLimits.keyOf("Tavily", [Redacted.make("tvly-env-clock")])
          expect(yield* night("database", "tvly-env-clock", 2, { clock: "effect" }).pipe(Effect.withClock(clockAt(at))))
            .toEqual({ hosts: 1, keys: 1 })
          const sql = yield* SqlClient.SqlClient
          const [row] = yield* sql<{ at: number }>`SELECT (extract(epoch FROM refilled_at) * 1000)::float8 AS at
            FROM leadgraph_rate_limits WHERE key = ${key}`
          expect(Number(row!.at)).toBe(at)
        }))

      it.scoped("by default both stay in the process", () =>
        Effect.gen(function*() {
          expect(yield* night(undefined, "tvly-env-local", 1)).toEqual({ hosts: 0, keys: 0 })
        }))
    })
  })
}
