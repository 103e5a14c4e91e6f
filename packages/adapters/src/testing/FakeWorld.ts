/**
 * A fake world anyone can run (what `leadgraph fakes` serves): the fixture
 * company websites and the five fake vendors (Tavily, Lusha, ZeroBounce,
 * OpenAI, Odoo) on 127.0.0.1, and the environment that points `run`,
 * `nightly`, `schedule` and `serve` at them: the vendors' base URLs and
 * keys, open client-side rate limits, the crawler's allow-list
 * (`127.0.0.1/32`) and its pinned hosts (`*.test`), and the fake Odoo's
 * coordinates. Optionally seeds a tenant whose companies are the fixture
 * sites and whose Odoo connection is the fake's. For staging, demos and the
 * crash test.
 *
 * Each fake journals what it bills (see `FakeVendor.Billed`); {@link journal}
 * appends the journals to a file as JSON lines
 * (`{"vendor":"lusha","endpoint":...,"key":...,"credits":...,"startedAt":...,"endedAt":...}`).
 *
 * @since 0.1.0
 */
import { Company, Store, type Tenant } from "@leadgraph/core"
import { Duration, Effect, Option, Schema } from "effect"
import type { Scope } from "effect"
import { appendFile, writeFile } from "node:fs/promises"
import * as FixtureWeb from "../crawler/testing/FixtureWeb.js"
import * as FakeOpenAiServer from "../llm/testing/FakeOpenAiServer.js"
import * as FakeOdooServer from "../odoo/testing/FakeOdooServer.js"
import * as DemoWorld from "./DemoWorld.js"
import type * as FakeVendor from "./FakeVendor.js"
import * as FakeVendors from "./FakeVendors.js"

/**
 * What the fake world is started with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Seed of the fixture sites and the fakes' data (default 42). */
  readonly seed?: number | undefined
  /** Fixture company sites served (default 100). */
  readonly sites?: number | undefined
  /** Latency of every paid fake's answers, uniform between the two (milliseconds; default none). */
  readonly latency?: { readonly min: number; readonly max: number } | undefined
  /** A `Crawl-delay` (seconds, fractions allowed) added to every fixture company's robots.txt (default none). */
  readonly crawlDelaySeconds?: number | undefined
}

/**
 * Reads a latency given as `"MIN-MAX"` or `"MS"` milliseconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseLatency = (text: string): Option.Option<{ readonly min: number; readonly max: number }> => {
  const parts = text.split("-").map((part) => part.trim())
  const [min, max = min] = parts
  const ok = (part: string | undefined) => part !== undefined && /^\d{1,6}$/.test(part)
  return parts.length <= 2 && ok(min) && ok(max) && Number(min) <= Number(max)
    ? Option.some({ min: Number(min), max: Number(max) })
    : Option.none()
}

/**
 * A running fake world.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeWorld {
  readonly web: FixtureWeb.FixtureWeb
  readonly vendors: FakeVendors.FakeVendors
  /** The environment that points leadgraph at the fakes, as `[name, value]` pairs in a fixed order. */
  readonly environment: ReadonlyArray<readonly [string, string]>
}

/**
 * The variable that holds the fake Odoo's password; a seeded tenant's
 * connection names it (`env:LEADGRAPH_FAKE_ODOO_PASSWORD`).
 *
 * @since 0.1.0
 * @category constants
 */
export const odooPasswordVariable = "LEADGRAPH_FAKE_ODOO_PASSWORD"

const testKey = "test-key"
const openLimit = "1000000"

/**
 * The environment of a fake world (see the module comment).
 *
 * @since 0.1.0
 * @category environment
 */
export const environmentOf = (vendors: FakeVendors.FakeVendors): ReadonlyArray<readonly [string, string]> => [
  ["TAVILY_BASE_URL", vendors.tavily.url],
  ["TAVILY_API_KEY", testKey],
  ["LUSHA_BASE_URL", vendors.lusha.url],
  ["LUSHA_API_KEY", testKey],
  ["ZEROBOUNCE_BASE_URL", `${vendors.zeroBounce.url}/v2`],
  ["ZEROBOUNCE_API_KEY", testKey],
  ["OPENAI_BASE_URL", vendors.openAi.baseURL],
  ["OPENAI_API_KEY", FakeOpenAiServer.defaults.apiKey],
  ["TAVILY_REQUESTS_PER_MINUTE", openLimit],
  ["LUSHA_REQUESTS_PER_MINUTE", openLimit],
  ["ZEROBOUNCE_VALIDATIONS_PER_MINUTE", openLimit],
  ["OPENAI_REQUESTS_PER_MINUTE", openLimit],
  ["ODOO_CALLS_PER_SECOND", "1000"],
  ["CRAWLER_ALLOW_ADDRESSES", "127.0.0.1/32"],
  ["CRAWLER_HOSTS", "*.test=127.0.0.1"],
  ["LEADGRAPH_FAKE_ODOO_URL", vendors.odoo.url],
  ["LEADGRAPH_FAKE_ODOO_DATABASE", FakeOdooServer.defaults.database],
  ["LEADGRAPH_FAKE_ODOO_LOGIN", FakeOdooServer.defaults.login],
  [odooPasswordVariable, FakeOdooServer.defaults.password]
]

/**
 * The environment as `NAME=value` lines (a dotenv file: `set -a; . file`).
 * Values hold no spaces or quotes.
 *
 * @since 0.1.0
 * @category environment
 */
export const render = (environment: ReadonlyArray<readonly [string, string]>): string =>
  environment.map(([name, value]) => `${name}=${value}`).join("\n")

/**
 * Starts the fixture web and the five fakes for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options?: Options): Effect.Effect<FakeWorld, never, Scope.Scope> =>
  Effect.gen(function*() {
    const seed = options?.seed ?? 42
    const web = yield* FixtureWeb.make({ seed, count: options?.sites ?? 100, crawlDelaySeconds: options?.crawlDelaySeconds })
    const latency = options?.latency === undefined
      ? undefined
      : { min: Duration.millis(options.latency.min), max: Duration.millis(options.latency.max) }
    const vendors = yield* FakeVendors.make({
      seed,
      ...(latency === undefined ? {} : { tavily: { latency }, lusha: { latency }, zeroBounce: { latency }, openAi: { latency } })
    })
    return { web, vendors, environment: environmentOf(vendors) }
  })

/**
 * Stores tenant `tenantId` (if new) with the first ICP rules of the demo,
 * an Odoo connection to the fake Odoo (its password read from
 * {@link odooPasswordVariable}) and the first `companies` fixture sites as
 * its companies.
 *
 * @since 0.1.0
 * @category seeding
 */
export const seedTenant = (
  world: FakeWorld,
  tenantId: Tenant.TenantId,
  companies: number
): Effect.Effect<void, Store.StoreError, Store.Store> =>
  Effect.flatMap(Store.Store, (store) =>
    store.withTenant(tenantId, (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: `${tenantId} (fixture companies)` })
        yield* t.tenants.saveOdooConnection({
          active: true,
          url: world.vendors.odoo.url,
          database: FakeOdooServer.defaults.database,
          login: FakeOdooServer.defaults.login,
          secretRef: `env:${odooPasswordVariable}`
        })
        yield* t.icpRules.save(DemoWorld.tenants[0]!.rules)
        yield* t.companies.upsert(world.web.companies.slice(0, companies).map((c) =>
          Schema.decodeUnknownSync(Company.CompanyInput)({ name: c.name, domain: c.host, website: world.web.url(c.host) })
        ))
      })))

const paid = (
  vendors: FakeVendors.FakeVendors
): ReadonlyArray<readonly [string, { readonly billed: FakeVendor.Server["billed"] }]> => [
  ["tavily", vendors.tavily],
  ["lusha", vendors.lusha],
  ["zerobounce", vendors.zeroBounce],
  ["openai", vendors.openAi]
]

/**
 * Appends the paid fakes' journals to `path` as JSON lines, every
 * `every` and once more when the scope closes.
 *
 * @since 0.1.0
 * @category journal
 */
export const journal = (
  world: FakeWorld,
  path: string,
  every: Duration.DurationInput = "200 millis"
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const written = new Map<string, number>()
    const flush = Effect.uninterruptible(Effect.forEach(paid(world.vendors), ([vendor, server]) =>
      Effect.gen(function*() {
        const from = written.get(vendor) ?? 0
        const entries = yield* server.billed(from)
        if (entries.length === 0) return
        written.set(vendor, from + entries.length)
        const text = entries.map((e) => JSON.stringify({ vendor, ...e })).join("\n") + "\n"
        yield* Effect.promise(() => appendFile(path, text))
      }), { discard: true }))
    yield* Effect.addFinalizer(() => flush)
    yield* Effect.forkScoped(Effect.forever(Effect.delay(flush, every)))
  })

/**
 * Writes the fixture web's access log to `path` as JSON lines when the
 * scope closes (`{"time":...,"answered":...,"host":...,"path":...,"status":...}`:
 * each request's arrival and the end of its answer, epoch milliseconds), so
 * a test can check every host's politeness across processes.
 *
 * @since 0.1.0
 * @category journal
 */
export const webLog = (world: FakeWorld, path: string): Effect.Effect<void, never, Scope.Scope> =>
  Effect.addFinalizer(() =>
    Effect.flatMap(world.web.log, (entries) =>
      Effect.promise(() =>
        writeFile(
          path,
          entries.map((e) =>
            JSON.stringify({ time: e.time, answered: e.answered, host: e.host, path: e.path, status: e.status }) + "\n"
          ).join("")
        )
      ))
  )
