/**
 * An in-memory world for pipeline tests: the memory store, memory budgets,
 * caches and checkpoints per tenant, the vendors' in-memory fakes (same
 * deterministic data as their HTTP fakes), a scripted crawler and one
 * in-memory Odoo per tenant. Counters record every vendor call.
 */
import { LlmFake, LushaFake, OdooDatabase, OdooFake, TavilyFake, ZeroBounceFake } from "@leadgraph/adapters/testing"
import { Company, Crawler, IcpRule, Lusha, OdooConnector, Store, Tavily, Tenant, TenantServices, VendorConnector, ZeroBounce } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"
import { Effect, Layer, Schema } from "effect"

/** What the fake crawler serves for a domain: a corpus, or a failure. */
export type Site = { readonly corpus: string; readonly emails?: ReadonlyArray<string> } | "down"

/** Calls per vendor method. */
export type Counters = Record<string, number>

const page = (url: string, text: string, emails: ReadonlyArray<string>) =>
  new Crawler.Page({
    url,
    role: "home",
    status: 200,
    bytes: text.length,
    truncated: false,
    title: text.slice(0, 40),
    description: "",
    headings: [],
    text,
    signals: new Crawler.Signals({ emails: [...emails], phones: [], socials: [], addresses: [] })
  })

const crawler = (sites: ReadonlyMap<string, Site>, counters: Counters) =>
  Layer.succeed(Crawler.Crawler, {
    crawl: (website) =>
      Effect.suspend(() => {
        counters["crawl"] = (counters["crawl"] ?? 0) + 1
        const domain = new URL(website).hostname
        const site = sites.get(domain)
        if (site === undefined || site === "down") {
          return Effect.fail(new Crawler.CrawlerError({ reason: "Unreachable", url: website }))
        }
        const emails = site.emails ?? []
        return Effect.succeed(
          new Crawler.CrawlResult({
            website,
            finalUrl: website,
            pages: [page(website, site.corpus, emails)],
            corpus: site.corpus,
            corpusTruncated: false,
            signals: new Crawler.Signals({ emails: [...emails], phones: [], socials: [], addresses: [] }),
            skipped: [],
            stats: new Crawler.CrawlStats({ requests: 2, pages: 1, refusedByRobots: 0, bytes: site.corpus.length, millis: 1 })
          })
        )
      })
  })

const count = (counters: Counters, name: string) => Effect.sync(() => void (counters[name] = (counters[name] ?? 0) + 1))

/** The world's services and its counters. */
export const make = (options: {
  readonly sites: ReadonlyMap<string, Site>
  readonly caps?: Readonly<Record<string, number>>
  readonly odoo: Map<string, OdooDatabase.OdooDatabase>
}) => {
  const counters: Counters = {}
  const caps = options.caps ?? Settings.budgetCaps(Settings.defaults.caps)
  const perTenant = TenantServices.layerMemory(caps)
  const tavily = Layer.effect(
    Tavily.Tavily,
    Effect.map(Tavily.Tavily, (t) => ({
      search: (r: Tavily.SearchRequest) => Effect.zipRight(count(counters, "tavily.search"), t.search(r)),
      extract: (r: Tavily.ExtractRequest) => Effect.zipRight(count(counters, "tavily.extract"), t.extract(r))
    }))
  ).pipe(Layer.provide(TavilyFake.layer()))
  const lusha = Layer.effect(
    Lusha.Lusha,
    Effect.map(Lusha.Lusha, (l) => ({
      ...l,
      findContacts: (s: Lusha.ContactSearch) => Effect.zipRight(count(counters, "lusha.findContacts"), l.findContacts(s))
    }))
  ).pipe(Layer.provide(LushaFake.layer()))
  const zeroBounce = Layer.effect(
    ZeroBounce.ZeroBounce,
    Effect.map(ZeroBounce.ZeroBounce, (z) => ({
      ...z,
      verify: (email: string) =>
        Effect.zipRight(
          Effect.sync(() => void (counters["zerobounce.emails"] = (counters["zerobounce.emails"] ?? 0) + 1)),
          Effect.zipRight(count(counters, "zerobounce.verify"), z.verify(email))
        ),
      verifyMany: (emails: ReadonlyArray<string>) =>
        Effect.zipRight(
          Effect.sync(() => void (counters["zerobounce.emails"] = (counters["zerobounce.emails"] ?? 0) + emails.length)),
          Effect.zipRight(count(counters, "zerobounce.verifyMany"), z.verifyMany(emails))
        )
    }))
  ).pipe(Layer.provide(ZeroBounceFake.layer()))
  const odoo = Layer.succeed(OdooConnector.OdooConnector, {
    connect: (tenantId) => {
      let db = options.odoo.get(tenantId)
      if (db === undefined) options.odoo.set(tenantId, db = OdooDatabase.make())
      return OdooFake.layer(db)
    }
  })
  // the fakes are built per run, over the run's budget and caches, as the live vendors are
  const vendors = VendorConnector.fromLayer(Layer.mergeAll(tavily, lusha, zeroBounce, LlmFake.layer()))
  const layer = Layer.mergeAll(Store.layerMemory(), perTenant, vendors, crawler(options.sites, counters), odoo)
  return { layer, counters }
}

/** A company input for a domain. */
export const company = (domain: string, website: string | null = `https://${domain}/`) =>
  Schema.decodeUnknownSync(Company.CompanyInput)({ name: domain.split(".")[0]!.replace(/-/g, " "), domain, website })

/** Saves a tenant with an active Odoo connection, rules and companies. */
export const seedTenant = (
  id: string,
  companies: ReadonlyArray<Company.CompanyInput>,
  rules: ReadonlyArray<Schema.Schema.Encoded<typeof IcpRule.IcpRule>>
) =>
  Effect.flatMap(Store.Store, (store) =>
    store.withTenant(Tenant.TenantId.make(id), (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: id })
        yield* t.tenants.saveOdooConnection({
          active: true,
          url: "http://odoo.invalid",
          database: "db",
          login: "admin",
          secretRef: "env:UNUSED"
        })
        yield* t.icpRules.save(rules.map((r) => Schema.decodeUnknownSync(IcpRule.IcpRule)(r)))
        yield* t.companies.upsert(companies)
      })))

/**
 * A corpus long enough not to be thin, naming an industry and a country (as
 * `Country:` line too, which the fake model reads like a real one would read
 * the sentence).
 */
export const thick = (industry: string, country: string) =>
  `Country: ${country}\n${`We are a ${industry} company headquartered in ${country}. `.repeat(60)}`
