/**
 * One calendar: a run's day is its date in `SCHED_TZ`, and the daily cap,
 * the skip of companies enriched that day, the dry run, the budget ledger
 * and the report all use it. Under `TestClock`, for Singapore, a winter day
 * in Berlin and both of Berlin's 2026 daylight saving days: a first nightly
 * run at 00:30 local time (the day before in UTC), a dry run and a second
 * run at 23:30 the same local day, and a run at 00:30 the next local day —
 * on the memory store, PGlite and (with `DATABASE_URL`) Postgres, through
 * the whole pipeline over the in-memory vendor fakes.
 */
import { SqlClient } from "@effect/sql"
import { StoreLive, Tenancy, TenantServicesLive } from "@leadgraph/adapters"
import { LlmFake, LushaFake, TavilyFake, TestDatabases, ZeroBounceFake } from "@leadgraph/adapters/testing"
import { describe, expect, it } from "@effect/vitest"
import { Company, Crawler, EnrichmentRun, Forecast, IcpRule, Kickoffs, Llm, Lusha, Nightly, OdooConnector, Report, Store, Tavily, Tenant, TenantServices, VendorConnector, ZeroBounce } from "@leadgraph/core"
import type { Run } from "@leadgraph/core"
import { Deferred, Effect, Layer, Option, Ref, Schema, TestClock } from "effect"

interface Case {
  readonly timeZone: string
  readonly date: string
  readonly next: string
  /** 00:30 and 23:30 local time on `date`, and 00:30 on `next`, as UTC instants. */
  readonly early: string
  readonly late: string
  readonly nextEarly: string
}

const cases: ReadonlyArray<Case> = [
  { timeZone: "Asia/Singapore", date: "2026-03-02", next: "2026-03-03", early: "2026-03-01T16:30:00Z", late: "2026-03-02T15:30:00Z", nextEarly: "2026-03-02T16:30:00Z" },
  { timeZone: "Europe/Berlin", date: "2026-01-15", next: "2026-01-16", early: "2026-01-14T23:30:00Z", late: "2026-01-15T22:30:00Z", nextEarly: "2026-01-15T23:30:00Z" },
  // summer time starts (23 hours) and ends (25 hours)
  { timeZone: "Europe/Berlin", date: "2026-03-29", next: "2026-03-30", early: "2026-03-28T23:30:00Z", late: "2026-03-29T21:30:00Z", nextEarly: "2026-03-29T22:30:00Z" },
  { timeZone: "Europe/Berlin", date: "2026-10-25", next: "2026-10-26", early: "2026-10-24T22:30:00Z", late: "2026-10-25T22:30:00Z", nextEarly: "2026-10-25T23:30:00Z" }
]

/** The runner's default daily caps. */
const caps = { [Tavily.budget]: 1000, [Lusha.budget]: 500, [ZeroBounce.budget]: 2000, [Llm.tokenBudget]: 2_000_000 }
const domains = ["alpha.example", "beta.example", "gamma.example", "delta.example"]
const corpus = `Country: Germany\n${"We build industrial robots in Germany. ".repeat(60)}`

const crawler = Layer.succeed(Crawler.Crawler, {
  crawl: (website) => {
    const signals = new Crawler.Signals({ emails: [`info@${new URL(website).hostname}`], phones: [], socials: [], addresses: [] })
    return Effect.succeed(new Crawler.CrawlResult({
      website,
      finalUrl: website,
      pages: [new Crawler.Page({ url: website, role: "home", status: 200, bytes: corpus.length, truncated: false, title: "Home", description: "", headings: [], text: corpus, signals })],
      corpus,
      corpusTruncated: false,
      signals,
      skipped: [],
      stats: new Crawler.CrawlStats({ requests: 1, pages: 1, refusedByRobots: 0, bytes: corpus.length, millis: 1 })
    }))
  }
})

/** The vendors (Lusha's contact searches recorded by domain: what the tenant paid for) over the tenant services. */
const vendors = <R>(paid: Ref.Ref<ReadonlyArray<string>>, services: Layer.Layer<TenantServices.TenantServices, never, R>) =>
  Layer.mergeAll(
    VendorConnector.fromLayer(Layer.mergeAll(
      TavilyFake.layer(),
      Layer.effect(Lusha.Lusha, Effect.map(Lusha.Lusha, (l) => ({
        ...l,
        findContacts: (s: Lusha.ContactSearch) => Effect.zipRight(Ref.update(paid, (xs) => [...xs, s.domain]), l.findContacts(s))
      }))).pipe(Layer.provide(LushaFake.layer())),
      ZeroBounceFake.layer(),
      LlmFake.layer()
    )),
    crawler,
    Layer.succeed(OdooConnector.OdooConnector, { connect: () => Layer.die("the export is off in these runs") })
  ).pipe(Layer.provideMerge(services))

const rules = [Schema.decodeUnknownSync(IcpRule.IcpRule)({ name: "Robots", criteria: { industry: ["robotics"] }, weight: 50 })]
const companies = domains.map((d) =>
  Schema.decodeUnknownSync(Company.CompanyInput)({ name: d.split(".")[0], domain: d, website: `https://${d}/` })
)

const seed = (tenantId: Tenant.TenantId) =>
  Effect.flatMap(Store.Store, (store) =>
    store.withTenant(tenantId, (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: tenantId })
        yield* t.tenants.saveOdooConnection({ active: true, url: "http://odoo.invalid", database: "db", login: "bot", secretRef: "env:UNUSED" })
        yield* t.icpRules.save(rules)
        yield* t.companies.upsert(companies)
      })))

/** Every tenant run of a nightly run over one tenant, with a daily cap of 3. */
const nightly = (c: Case, tenantId: Tenant.TenantId, extra?: { readonly limit?: number; readonly dryRun?: boolean }) =>
  Effect.map(
    Nightly.run({
      filter: { include: [tenantId] },
      tenantConcurrency: 1,
      dailyCap: 3,
      timeZone: c.timeZone,
      tenant: { concurrency: 2, caps, knobs: { exportToOdoo: false }, ...extra }
    }),
    (result) => {
      const [outcome] = result.tenants
      if (outcome?._tag !== "Ran") throw new Error(`tenant did not run: ${JSON.stringify(outcome)}`)
      return { result, run: outcome.result }
    }
  )

/** The domains a finished run took, from its manifest. */
const taken = (tenantId: Tenant.TenantId, run: EnrichmentRun.Result) =>
  Effect.gen(function*() {
    if (run._tag !== "Finished") throw new Error("expected a finished run")
    const t = (yield* Store.Store).forTenant(tenantId)
    const stored = Option.getOrThrow(yield* t.runs.get(run.runId as Run.RunId))
    return (yield* t.companies.findByIds(stored.manifest.companyIds)).map((x) => x.domain as string).sort()
  })

const register = <R, E>(
  label: string,
  database: Layer.Layer<Store.Store | R, E>,
  services: (timeZone: string) => Layer.Layer<TenantServices.TenantServices, never, R>,
  ledgerDays?: (tenantId: Tenant.TenantId) => Effect.Effect<ReadonlyArray<string>, unknown, R>
) =>
  describe(`one calendar (${label})`, () => {
    it.layer(database, { timeout: "240 seconds" })((it) => {
      cases.forEach((c, i) => {
        it.effect(`${c.date} in ${c.timeZone}: a second run that local day takes what the cap leaves; the next day takes them again`, () =>
          Effect.gen(function*() {
            const tenantId = Tenant.TenantId.make(`cal-${i}`)
            const paid = yield* Ref.make<ReadonlyArray<string>>([])
            const context = yield* Layer.build(vendors(paid, services(c.timeZone)))
            const use = <A, X>(effect: Effect.Effect<A, X, EnrichmentRun.Requirements>) => Effect.provide(effect, context)

            // 00:30 local: the day before in UTC
            yield* TestClock.setTime(Date.parse(c.early))
            yield* seed(tenantId)
            const first = yield* use(nightly(c, tenantId, { limit: 2 }))
            expect([first.result.runDay, first.result.timeZone]).toEqual([c.date, c.timeZone])
            expect(Report.nightly(first.result)).toMatch(new RegExp(`^nightly run ${c.date} \\(${c.timeZone}\\)`))
            const morning = yield* taken(tenantId, first.run)
            expect(morning).toHaveLength(2)

            // 23:30 the same local day: the cap of 3 leaves 1, never one of the morning's
            yield* TestClock.setTime(Date.parse(c.late))
            const plan = (yield* use(nightly(c, tenantId, { dryRun: true }))).run
            if (plan._tag !== "Planned") throw new Error("expected a plan")
            expect(plan.targets).toHaveLength(1)
            const second = yield* use(nightly(c, tenantId))
            expect(second.result.runDay).toBe(c.date)
            const evening = yield* taken(tenantId, second.run)
            expect(evening).toEqual(plan.targets.map((x) => x.domain))
            expect(evening.filter((d) => morning.includes(d))).toEqual([])
            expect(yield* taken(tenantId, (yield* use(nightly(c, tenantId))).run)).toEqual([])
            // paid once per company that local day
            expect([...(yield* Ref.get(paid))].sort()).toEqual([...morning, ...evening].sort())
            if (ledgerDays !== undefined) expect(yield* ledgerDays(tenantId)).toEqual([c.date])

            // 00:30 the next local day: the never enriched one and the morning's (the oldest) again
            yield* TestClock.setTime(Date.parse(c.nextEarly))
            const next = yield* use(nightly(c, tenantId))
            expect(next.result.runDay).toBe(c.next)
            const rest = domains.filter((d) => !morning.includes(d) && !evening.includes(d))
            expect(yield* taken(tenantId, next.run)).toEqual([...rest, ...morning].sort())
            if (ledgerDays !== undefined) expect(yield* ledgerDays(tenantId)).toEqual([c.date, c.next])
          }).pipe(Effect.scoped))
      })
    })
  })

register("memory", Store.layerMemory(), () => TenantServices.layerMemory(caps))
for (const target of TestDatabases.targets("calendar", process.env.DATABASE_URL)) {
  register(
    target.label,
    StoreLive.layer().pipe(Layer.provideMerge(target.database())),
    (timeZone) => TenantServicesLive.layer({ caps, timeZone }),
    (tenantId) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const rows = yield* (yield* Tenancy.Tenancy).withTenant(
          tenantId,
          sql<{ day: string }>`SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS day FROM budget_ledger
            WHERE tenant_id = ${tenantId} ORDER BY day`
        )
        return rows.map((r) => r.day)
      })
  )
}

describe("one calendar (HTTP kickoff)", () => {
  it.effect("a kickoff at 00:30 in Berlin on the day summer time starts runs on that local day", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-03-28T23:30:00Z"))
      const launched = yield* Deferred.make<Kickoffs.LaunchInput>()
      const kickoffs = yield* Kickoffs.make({
        timeZone: "Europe/Berlin",
        launch: (input) =>
          Effect.as(Deferred.succeed(launched, input), {
            _tag: "Planned" as const,
            tenantId: input.tenantId,
            runId: input.runId,
            targets: [],
            forecast: Forecast.forecast([])
          })
      })
      const runId = yield* kickoffs.start(Tenant.TenantId.make("kick"))
      const input = yield* Deferred.await(launched)
      expect([input.runDay, input.timeZone]).toEqual(["2026-03-29", "Europe/Berlin"])
      expect(runId).toMatch(/^kick-2026-03-29-/)
    }).pipe(Effect.scoped, Effect.provide(Store.layerMemory())))
})
