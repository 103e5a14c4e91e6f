/**
 * The demo's world: two tenants with different ICP rules and their
 * companies (tenant `i` gets the fixture companies from `i * n / 2` on, so
 * half of each tenant's companies are the other's too, to show isolation),
 * the fixture company websites, all five fake vendors on 127.0.0.1 plus a
 * second fake Odoo (one per tenant), and the live environment
 * (`Environment.layer`) over them and a database, seeded with the demo
 * tenants. `leadgraph demo` runs the nightly job in it, then writes the
 * exports ({@link writeExports}) and shows the best leads and what reached
 * each Odoo ({@link summary}); the acceptance suite and the benchmarks build
 * on it too.
 *
 * ```ts
 * const world = yield* DemoWorld.make({ companiesPerTenant: 10, database, environment: { caps } })
 * const result = yield* world.use(Nightly.run(options))
 * ```
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import type { Error as PlatformError } from "@effect/platform"
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { Company, IcpRule, LeadExport, Store, Tenant } from "@leadgraph/core"
import { Chunk, ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import type { Scope } from "effect"
import * as FixtureWeb from "../crawler/testing/FixtureWeb.js"
import * as Environment from "../Environment.js"
import * as FakeOdooServer from "../odoo/testing/FakeOdooServer.js"
import * as FakeVendors from "./FakeVendors.js"

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
 * companies per tenant, the database, the environment's options besides
 * what the world supplies (the caps, the ledger lease, crawler options over
 * the world's loopback allow-list and short delays), and the fake vendors'
 * knobs besides the seed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Seed of the fixture sites and the fake vendors (default 42). */
  readonly seed?: number | undefined
  readonly companiesPerTenant: number
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError>
  readonly environment: Omit<Environment.Options, "vendors" | "resolver" | "odoo" | "database">
  /** Knobs of the fake vendors (latencies, rate limits, credits) besides the seed. */
  readonly vendors?: Omit<FakeVendors.Options, "seed"> | undefined
}

/**
 * A running demo world: the fixture sites, the fake vendors (a fake Odoo per
 * tenant), and the environment built and seeded with the demo tenants.
 * `use` runs an effect in it, with the tenants' Odoo passwords under the
 * variables their connections name.
 *
 * @since 0.1.0
 * @category models
 */
export interface World {
  readonly web: FixtureWeb.FixtureWeb
  readonly fakes: FakeVendors.FakeVendors
  /** Each demo tenant's fake Odoo, in {@link tenants} order. */
  readonly odoo: ReadonlyArray<FakeOdooServer.FakeOdooServer>
  readonly use: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, Environment.Services>>
}

/**
 * Starts a demo world for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<World, Store.StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const seedValue = options.seed ?? 42
    const n = options.companiesPerTenant
    const web = yield* FixtureWeb.make({ seed: seedValue, count: n + Math.floor(n / 2) })
    const fakes = yield* FakeVendors.make({ ...options.vendors, seed: seedValue })
    const second = yield* FakeOdooServer.make({ seed: seedValue + 1 })
    const odoo = [fakes.odoo, second]
    const context = yield* Layer.build(Environment.layer({
      ...options.environment,
      vendors: FakeVendors.vendorOptions(fakes),
      crawler: {
        allowAddresses: ["127.0.0.1/32"],
        minDelay: "20 millis",
        requestTimeout: "5 seconds",
        ...options.environment.crawler
      },
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
    return { web, fakes, odoo, use }
  })

/**
 * Writes each demo tenant's score export at or above `minScore` to `outDir`
 * (created if missing) as `<tenant>.csv` and `<tenant>.json`, streamed to
 * the files so 100,000 rows are never held at once; returns the folder and
 * the CSV files' names.
 *
 * @since 0.1.0
 * @category exports
 */
export const writeExports = (
  outDir: string,
  minScore: number
): Effect.Effect<
  { readonly dir: string; readonly files: ReadonlyArray<string> },
  Store.StoreError | PlatformError.PlatformError,
  Store.Store | FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const store = yield* Store.Store
    yield* fs.makeDirectory(outDir, { recursive: true })
    const files = yield* Effect.forEach(tenants, (tenant) =>
      Effect.gen(function*() {
        const rows = store.forTenant(tenant.id).exportScores(minScore)
        yield* Stream.run(Stream.encodeText(LeadExport.csv(rows)), fs.sink(path.join(outDir, `${tenant.id}.csv`)))
        yield* Stream.run(Stream.encodeText(LeadExport.json(rows)), fs.sink(path.join(outDir, `${tenant.id}.json`)))
        return `${tenant.id}.csv`
      }))
    return { dir: path.resolve(outDir), files }
  })

/**
 * What the demo shows after its night: each tenant's three best leads with
 * the rationales the fake LLM wrote, and, last, a line per tenant with what
 * its fake Odoo holds.
 *
 * @since 0.1.0
 * @category reporting
 */
export const summary = (world: World): Effect.Effect<
  { readonly topLeads: string; readonly odoo: ReadonlyArray<string> },
  Store.StoreError,
  Store.Store
> =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    const top = yield* Effect.forEach(tenants, (tenant) =>
      store.forTenant(tenant.id).exportScores(0).pipe(
        Stream.take(3),
        Stream.runCollect,
        Effect.map((rows) =>
          [
            `top leads of ${tenant.id} (rationales by the fake LLM, which makes up its words):`,
            ...Chunk.toReadonlyArray(rows).map((r) => `  ${String(r.score).padStart(3)} ${r.name}: ${r.rationale ?? ""}`)
          ].join("\n")
        )
      ))
    const odoo = tenants.map((t, i) => {
      const db = world.odoo[i]!.db
      return `${t.id} Odoo: ${db.all("res.partner").length} partners, ${db.all("crm.lead").length} leads`
    })
    return { topLeads: top.join("\n"), odoo }
  })
