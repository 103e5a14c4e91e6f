/**
 * The demo: the whole nightly job on one machine with nothing installed.
 * Embedded PGlite, two tenants with different ICP rules and 50 companies
 * each (25 of them shared, to show isolation), the fixture company websites
 * and all five fake vendors on 127.0.0.1 (one fake Odoo per tenant); then
 * the nightly run, its report, and each tenant's score export written as CSV
 * and JSON to a folder.
 *
 * @since 0.1.0
 */
import { Database } from "@leadgraph/adapters"
import { FakeOdooServer, FakeVendors, FixtureWeb } from "@leadgraph/adapters/testing"
import { Company, IcpRule, LeadExport, Nightly, Store, Tenant } from "@leadgraph/core"
import { FileSystem, Path } from "@effect/platform"
import { Chunk, ConfigProvider, type Deferred, Effect, Layer, Option, Schema, Stream } from "effect"
import type { Scope } from "effect"
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import * as Environment from "./Environment.js"
import * as Report from "./Report.js"
import * as Settings from "./Settings.js"

/**
 * Demo options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Seed of the fixture sites and the fake vendors (default 42). */
  readonly seed?: number | undefined
  /** Companies per tenant (default 50). */
  readonly companiesPerTenant?: number | undefined
  /** PGlite data directory (default in memory). */
  readonly dataDir?: string | undefined
  /** Where the exports go (default `.leadgraph/demo`). */
  readonly outDir?: string | undefined
  /** Where the report goes (default the log). */
  readonly print?: ((text: string) => Effect.Effect<void>) | undefined
  /** Completed to stop early: no new company starts. */
  readonly stop?: Deferred.Deferred<void> | undefined
}

/**
 * A demo tenant: its id, name and ICP rules.
 *
 * @since 0.1.0
 * @category models
 */
export interface DemoTenant {
  readonly id: Tenant.TenantId
  readonly name: string
  readonly rules: ReadonlyArray<IcpRule.IcpRule>
}

const rule = Schema.decodeUnknownSync(IcpRule.IcpRule)

/**
 * The two demo tenants: one selling to European industrial companies, one
 * to software and analytics firms in Asia-Pacific and the Commonwealth.
 *
 * @since 0.1.0
 * @category constants
 */
export const tenants: ReadonlyArray<DemoTenant> = [
  {
    id: Tenant.TenantId.make("acme-industrial"),
    name: "Acme Industrial Supply",
    rules: [
      rule({ name: "Industrial", criteria: { industry: ["robotics", "manufacturing", "logistics", "energy"] }, weight: 40 }),
      rule({ name: "Europe", criteria: { country: ["Germany", "France", "Spain", "Netherlands", "United Kingdom"] }, weight: 30 }),
      rule({ name: "Reachable", criteria: { verified_emails_min: 1 }, weight: 20 }),
      rule({ name: "Has a website", criteria: { has_website: true }, weight: 10 })
    ]
  },
  {
    id: Tenant.TenantId.make("globex-software"),
    name: "Globex Software Partners",
    rules: [
      rule({ name: "Software", criteria: { industry: ["software", "analytics", "consulting", "biotech"] }, weight: 50 }),
      rule({ name: "APAC and Commonwealth", criteria: { country: ["Singapore", "Australia", "Canada", "United Kingdom"] }, weight: 30 }),
      rule({ name: "Team", criteria: { contacts_min: 3 }, weight: 20 })
    ]
  }
]

/** The variable holding a demo tenant's Odoo password (its connection's `secretRef`). */
const secretOf = (tenant: DemoTenant) => `LEADGRAPH_DEMO_ODOO_${tenant.id.toUpperCase().replaceAll("-", "_")}`

/**
 * Stores the demo tenants, their ICP rules, Odoo connections and companies
 * (tenant `i` gets the fixture companies from `i * n / 2` on).
 *
 * @since 0.1.0
 * @category seeding
 */
export const seed = (input: {
  readonly web: FixtureWeb.FixtureWeb
  readonly odooUrls: ReadonlyArray<string>
  readonly companiesPerTenant: number
}) =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    const shift = Math.floor(input.companiesPerTenant / 2)
    yield* Effect.forEach(tenants, (tenant, i) =>
      store.withTenant(tenant.id, (t) =>
        Effect.gen(function*() {
          yield* t.tenants.save({ name: tenant.name })
          yield* t.tenants.saveOdooConnection({
            active: true,
            url: input.odooUrls[i]!,
            database: FakeOdooServer.defaults.database,
            login: FakeOdooServer.defaults.login,
            secretRef: `env:${secretOf(tenant)}`
          })
          yield* t.icpRules.save(tenant.rules)
          const companies = input.web.companies.slice(i * shift, i * shift + input.companiesPerTenant)
          yield* t.companies.upsert(companies.map((c) =>
            Schema.decodeUnknownSync(Company.CompanyInput)({
              name: c.name,
              domain: c.host,
              website: input.web.url(c.host)
            })
          ))
        })), { discard: true })
  })

/**
 * What a demo world is built from: the seed of the sites and fakes, the
 * companies per tenant, the database, and overrides of the settings and of
 * the fake vendors' knobs.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorldOptions {
  readonly seed?: number | undefined
  readonly companiesPerTenant: number
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError>
  /** Daily caps over the defaults. */
  readonly caps?: Partial<Settings.Caps> | undefined
  /** Knobs of the fake vendors (latencies, rate limits, credits) besides the seed. */
  readonly vendors?: Omit<FakeVendors.Options, "seed"> | undefined
}

/**
 * A running demo world: the fixture sites, the fake vendors (a fake Odoo per
 * tenant), the settings, and the environment built and seeded with the demo
 * tenants. `use` runs an effect in it, with the tenants' Odoo passwords
 * under the variables their connections name.
 *
 * @since 0.1.0
 * @category models
 */
export interface World {
  readonly web: FixtureWeb.FixtureWeb
  readonly fakes: FakeVendors.FakeVendors
  /** Each demo tenant's fake Odoo, in {@link tenants} order. */
  readonly odoo: ReadonlyArray<FakeOdooServer.FakeOdooServer>
  readonly settings: Settings.Settings
  readonly use: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, Environment.Services>>
}

/**
 * Starts a demo world for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWorld = (options: WorldOptions): Effect.Effect<World, Store.StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const seedValue = options.seed ?? 42
    const n = options.companiesPerTenant
    const web = yield* FixtureWeb.make({ seed: seedValue, count: n + Math.floor(n / 2) })
    const fakes = yield* FakeVendors.make({ ...options.vendors, seed: seedValue })
    const second = yield* FakeOdooServer.make({ seed: seedValue + 1 })
    const odoo = [fakes.odoo, second]
    const settings: Settings.Settings = {
      ...Settings.defaults,
      schedule: { ...Settings.defaults.schedule, tenantConcurrency: 2, companyConcurrency: 16 },
      caps: { ...Settings.defaults.caps, ...options.caps },
      defaultTenantId: Option.none(),
      scoreMinExportSource: "default",
      ignoredLeadThreshold: Option.none()
    }
    const context = yield* Layer.build(Environment.layer({
      settings,
      vendors: FakeVendors.vendorOptions(fakes),
      crawler: { allowAddresses: ["127.0.0.1/32"], minDelay: "20 millis", requestTimeout: "5 seconds" },
      resolver: web.resolver,
      odoo: { rateLimit: { limit: 1000, interval: "1 second" } },
      database: options.database
    }))
    const secrets = ConfigProvider.fromMap(
      new Map(tenants.map((t) => [secretOf(t), FakeOdooServer.defaults.password]))
    ).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
    const use = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(Effect.provide(context), Effect.withConfigProvider(secrets))
    yield* use(seed({ web, odooUrls: odoo.map((o) => o.url), companiesPerTenant: n }))
    return { web, fakes, odoo, settings, use }
  })

/**
 * Runs the demo and returns the nightly result; the fakes and the database
 * stop with the scope.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (options?: Options) =>
  Effect.gen(function*() {
    const outDir = options?.outDir ?? ".leadgraph/demo"
    const print = options?.print ?? ((text: string) => Effect.logInfo(text))
    const { odoo: odooServers, settings, use } = yield* makeWorld({
      seed: options?.seed,
      companiesPerTenant: options?.companiesPerTenant ?? 50,
      database: Database.layerEmbedded({ dataDir: options?.dataDir ?? "memory://" })
    })

    return yield* use(Effect.gen(function*() {
      const result = yield* Nightly.run({
        tenantConcurrency: settings.schedule.tenantConcurrency,
        dailyCap: settings.schedule.dailyCapPerTenant,
        timeZone: settings.schedule.timeZone,
        tenant: {
          concurrency: settings.schedule.companyConcurrency,
          stop: options?.stop,
          caps: Settings.budgetCaps(settings.caps),
          knobs: { scoreMinExport: settings.scoreMinExport, corpusCharLimit: settings.corpusCharLimit }
        }
      })
      yield* print(Report.nightly(result))
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      yield* fs.makeDirectory(outDir, { recursive: true })
      const store = yield* Store.Store
      const written = yield* Effect.forEach(tenants, (tenant) =>
        Effect.gen(function*() {
          const rows = store.forTenant(tenant.id).exportScores(settings.scoreMinExport)
          const csv = path.join(outDir, `${tenant.id}.csv`)
          // streamed to the files: 100,000 rows are never held at once
          yield* Stream.run(Stream.encodeText(LeadExport.csv(rows)), fs.sink(csv))
          yield* Stream.run(Stream.encodeText(LeadExport.json(rows)), fs.sink(path.join(outDir, `${tenant.id}.json`)))
          return csv
        }))
      const top = yield* Effect.forEach(tenants, (tenant) =>
        store.forTenant(tenant.id).exportScores(0).pipe(
          Stream.take(3),
          Stream.runCollect,
          Effect.map((rows) => [
            `top leads of ${tenant.id} (rationales by the fake LLM, which makes up its words):`,
            ...Chunk.toReadonlyArray(rows).map((r) => `  ${String(r.score).padStart(3)} ${r.name}: ${r.rationale ?? ""}`)
          ].join("\n"))
        ))
      yield* print(top.join("\n"))
      const odoo = odooServers.map(({ db }) => ({
        partners: db.all("res.partner").length,
        leads: db.all("crm.lead").length
      }))
      yield* print([
        `exports (score >= ${settings.scoreMinExport}) written to ${path.resolve(outDir)}: ${written.map((f) => path.basename(f)).join(", ")} and .json`,
        ...tenants.map((t, i) => `${t.id} Odoo: ${odoo[i]!.partners} partners, ${odoo[i]!.leads} leads`)
      ].join("\n"))
      return result
    }))
  })
