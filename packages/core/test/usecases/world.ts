/**
 * A use case test's world, from core alone: the memory `Store`, each
 * tenant's budgets, caches and checkpoints in memory
 * (`TenantServices.layerMemory`, routed by `TenantServices.layerRouted`),
 * and the port doubles of `ports.ts`, counting their calls in one `Calls`.
 * Plus seeding helpers and the run options the tests share.
 */
import { Company, EnrichmentRun, IcpRule, Store, Tenant, TenantServices, VendorConnector } from "@leadgraph/core"
import type { Run } from "@leadgraph/core"
import { Effect, Layer, Option, Schema } from "effect"
import * as Ports from "./ports.js"

/** Caps of every budget the doubles draw from. */
export const caps: Readonly<Record<string, number>> = {
  "tavily.queries": 50,
  "lusha.lookups": 100,
  "zerobounce.verifications": 100,
  "openai.tokens": 100_000
}

/** What a world is made of. */
export interface Options {
  readonly sites: ReadonlyMap<string, Ports.Site>
  readonly caps?: Readonly<Record<string, number>>
  /** Domains Lusha refuses (the test may change the set between runs). */
  readonly lushaFailing?: ReadonlySet<string>
  /** Runs before each crawl. */
  readonly beforeCrawl?: (website: string) => Effect.Effect<void>
}

/** A world: its layer, the doubles' calls and each tenant's Odoo double. */
export interface World {
  readonly layer: Layer.Layer<EnrichmentRun.Requirements>
  readonly calls: Ports.Calls
  readonly odoo: Map<Tenant.TenantId, Ports.OdooDouble>
}

/** Builds a world (fresh store, services and doubles per build of `layer`, shared counters). */
export const make = (options: Options): World => {
  const calls = new Ports.Calls()
  const odoo = new Map<Tenant.TenantId, Ports.OdooDouble>()
  const services = TenantServices.layerMemory(options.caps ?? caps)
  // the doubles are built per run, over the run's budget and caches, as the live vendors are
  const vendors = VendorConnector.fromLayer(Layer.mergeAll(
    Ports.tavily(calls),
    Ports.lusha(calls, options.lushaFailing),
    Ports.zeroBounce(calls),
    Ports.llm(calls)
  ))
  const layer = Layer.mergeAll(
    Store.layerMemory(),
    services,
    vendors,
    Ports.crawler(calls, options.sites, options.beforeCrawl),
    Ports.connector(calls, odoo)
  )
  return { layer, calls, odoo }
}

/** ICP rules: robotics (60) and Germany (40); a robotics company in Germany scores 100, one elsewhere 60. */
export const rules = [
  Schema.decodeUnknownSync(IcpRule.IcpRule)({ name: "Robotics", criteria: { industry: ["robotics"] }, weight: 60 }),
  Schema.decodeUnknownSync(IcpRule.IcpRule)({ name: "Germany", criteria: { country: "Germany" }, weight: 40 })
]

/** A company input for a domain, its website `https://<domain>/`. */
export const company = (domain: string) =>
  Schema.decodeUnknownSync(Company.CompanyInput)({ name: domain.split(".")[0]!, domain, website: `https://${domain}/` })

/** How a seeded tenant reaches Odoo. */
export type Connection = "active" | "inactive" | "none"

/** Saves a tenant, its Odoo connection, the {@link rules} and companies for `domains`. */
export const seed = (
  tenantId: Tenant.TenantId,
  domains: ReadonlyArray<string>,
  connection: Connection = "active"
) =>
  Effect.flatMap(Store.Store, (store) =>
    store.withTenant(tenantId, (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: `Tenant ${tenantId}` })
        if (connection !== "none") {
          yield* t.tenants.saveOdooConnection({
            active: connection === "active",
            url: "http://odoo.invalid",
            database: "db",
            login: "bot",
            secretRef: "env:UNUSED"
          })
        }
        yield* t.icpRules.save(rules)
        yield* t.companies.upsert(domains.map(company))
      })))

/** The three sites of most tests: two thick, one thin (it needs a web search). */
export const sites = new Map<string, Ports.Site>([
  ["alpha.example", { corpus: Ports.thick("robotics", "Germany"), emails: ["info@alpha.example"] }],
  ["beta.example", { corpus: Ports.thin("robotics", "Spain"), emails: ["info@beta.example"] }],
  ["gamma.example", { corpus: Ports.thick("foods", "Spain"), emails: ["info@gamma.example"] }]
])

/** The domains of {@link sites}, in order. */
export const domains = [...sites.keys()]

/** One tenant's run options on 2026-03-02 in Singapore, every budget capped by {@link caps}. */
export const options = (tenantId: Tenant.TenantId, overrides?: Partial<EnrichmentRun.Options>): EnrichmentRun.Options => ({
  tenantId,
  runDay: "2026-03-02",
  timeZone: "Asia/Singapore",
  cap: 10,
  concurrency: 2,
  caps,
  ...overrides
})

/** Noon of 2026-03-02 in Singapore (04:00 UTC). */
export const noon = Date.parse("2026-03-02T04:00:00Z")

/** The result of a run that was not a dry run (fails the test otherwise). */
export const finished = (result: EnrichmentRun.Result): EnrichmentRun.Finished => {
  if (result._tag !== "Finished") throw new Error(`expected a finished run, got ${result._tag}`)
  return result
}

/** The result of a dry run (fails the test otherwise). */
export const planned = (result: EnrichmentRun.Result): EnrichmentRun.Planned => {
  if (result._tag !== "Planned") throw new Error(`expected a planned run, got ${result._tag}`)
  return result
}

/** One step's stats in a run summary. */
export const stepOf = (result: EnrichmentRun.Finished, step: string) => {
  const found = result.summary.steps.find((s) => s.step === step)
  if (found === undefined) throw new Error(`no step ${step} in the summary`)
  return found
}

/** A stored run, if any. */
export const storedRun = (tenantId: Tenant.TenantId, runId: string) =>
  Effect.flatMap(Store.Store, (store) => store.forTenant(tenantId).runs.get(runId as Run.RunId))

/** The stored run (fails the test when there is none). */
export const storedRunOrThrow = (tenantId: Tenant.TenantId, runId: string) =>
  Effect.map(storedRun(tenantId, runId), Option.getOrThrowWith(() => new Error(`no run ${runId}`)))

/** A tenant's companies by domain. */
export const companiesOf = (tenantId: Tenant.TenantId, domains: ReadonlyArray<string>) =>
  Effect.flatMap(Store.Store, (store) =>
    store.forTenant(tenantId).companies.findByDomains(domains.map((d) => Company.Domain.make(d))))
