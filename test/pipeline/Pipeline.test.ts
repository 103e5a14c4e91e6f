import { describe, expect, it } from "@effect/vitest"
import { type OdooDatabase, ZeroBounceFake } from "@leadgraph/adapters/testing"
import { Company, EnrichmentRun, Pipeline, Store, Tenant, ZeroBounce } from "@leadgraph/core"
import { Deferred, Effect, Option, TestClock } from "effect"
import * as World from "./harness.js"

const tenantId = Tenant.TenantId.make("t1")
const rules = [
  { name: "Robotics", criteria: { industry: ["robotics"] }, weight: 50 },
  { name: "Germany", criteria: { country: "Germany" }, weight: 30 },
  { name: "Reachable", criteria: { verified_emails_min: 1 }, weight: 20 }
]
const domains = ["alpha-robotics.example", "beta-robotics.example", "gamma-foods.example", "delta-robotics.example"]
const sites = new Map<string, World.Site>([
  ["alpha-robotics.example", { corpus: World.thick("robotics", "Germany"), emails: ["info@alpha-robotics.example"] }],
  ["beta-robotics.example", { corpus: World.thick("robotics", "Germany") }],
  ["gamma-foods.example", { corpus: World.thick("foods", "Spain") }],
  ["delta-robotics.example", { corpus: "Robotics. Tiny site." }]
])

const options = (overrides?: Partial<EnrichmentRun.Options>): EnrichmentRun.Options => ({
  tenantId,
  runDay: "2026-11-28",
  timeZone: "Asia/Singapore",
  cap: 100,
  concurrency: 4,
  caps: {},
  knobs: { scoreMinExport: 50 },
  ...overrides
})

const setup = (caps?: Readonly<Record<string, number>>) => {
  const odoo = new Map<string, OdooDatabase.OdooDatabase>()
  const world = World.make({ sites, odoo, ...(caps === undefined ? {} : { caps }) })
  return { ...world, odoo }
}

// the run day's noon: outcomes mark companies enriched "today"
const seedTenant = World.seedTenant(tenantId, domains.map((d) => World.company(d)), rules)
const seed = Effect.zipRight(TestClock.setTime(Date.parse("2026-11-28T12:00:00Z")), seedTenant)

const finished = (r: EnrichmentRun.Result) => {
  if (r._tag !== "Finished") throw new Error("expected a finished run")
  return r
}

describe("the enrichment pipeline", () => {
  it.effect("enriches, scores, persists and exports; only verified emails reach Odoo", () => {
    const { counters, layer, odoo } = setup()
    return Effect.gen(function*() {
      yield* seed
      const run = finished(yield* EnrichmentRun.run(options()))
      expect(run.summary.targets.total).toBe(4)
      expect(run.summary.targets.failed).toBe(0)
      const store = (yield* Store.Store).forTenant(tenantId)
      const alpha = (yield* store.companies.findByDomains([Company.Domain.make("alpha-robotics.example")]))[0]!
      const score = yield* store.leads.scoreOf(alpha.id)
      expect(Option.getOrThrow(score), JSON.stringify(Option.getOrThrow(score))).toMatchObject({ bucket: "high" })
      expect(Option.getOrThrow(score).score).toBeGreaterThanOrEqual(80)
      expect(alpha.industry).toBe("robotics")
      // the thick sites need no web search; the tiny one does
      expect(counters["tavily.search"]).toBe(1)
      // the gate: every contact in Odoo has a valid verdict, and some stored contacts did not
      // the oracle: the same fake ZeroBounce (same seed) the run's vendors were built from
      const zb = yield* ZeroBounce.ZeroBounce.pipe(Effect.provide(ZeroBounceFake.layer()))
      const db = odoo.get(tenantId)!
      const exported = db.all("res.partner").filter((p) => p["is_company"] === false).map((p) => String(p["email"]))
      expect(exported.length).toBeGreaterThan(0)
      for (const email of exported) expect((yield* zb.verify(email)).status).toBe("valid")
      const stored = (yield* Effect.forEach(domains, (d) =>
        Effect.flatMap(store.companies.findByDomains([Company.Domain.make(d)]), (cs) => store.leads.contactsOf(cs[0]!.id))
      )).flat()
      const statuses = yield* Effect.forEach(stored, (c) => Effect.map(zb.verify(c.email), (v) => [c.email, v.status] as const))
      const rejected = statuses.filter(([, s]) => s !== "valid").map(([e]) => e)
      expect(rejected.length).toBeGreaterThan(0)
      for (const email of rejected) expect(exported).not.toContain(email)
    }).pipe(Effect.provide(layer))
  })

  it.effect("without LLM tokens: extract and rationale skipped for budget, firmographics from signals, a template rationale stored", () => {
    const { layer } = setup({ "openai.tokens": 0, "lusha.lookups": 100, "zerobounce.verifications": 100, "tavily.queries": 10 })
    return Effect.gen(function*() {
      yield* seed
      const run = finished(yield* EnrichmentRun.run(options()))
      const byStep = Object.fromEntries(run.summary.steps.map((s) => [s.step, s]))
      expect(byStep["extract"]!.skipped.budget).toBe(4)
      expect(byStep["rationale"]!.skipped.budget).toBe(4)
      expect(byStep["score"]!.succeeded).toBe(4)
      expect(run.status).toBe("partial")
      const store = (yield* Store.Store).forTenant(tenantId)
      const rows = yield* store.companies.findByDomains([Company.Domain.make("beta-robotics.example")])
      const score = Option.getOrThrow(yield* store.leads.scoreOf(rows[0]!.id))
      expect(score.rationale).toMatch(/^Score \d+ \((high|medium|low)\)\./)
      const [features] = yield* store.leads.featuresOf([rows[0]!.id])
      expect(features!.features["source"]).toBe("signals")
    }).pipe(Effect.provide(layer))
  })

  // the crawl of the dead site is retried with real backoff delays
  it.live("a dead site is still searched, scored and recorded, and its company is partial", () => {
    const down = new Map(sites).set("alpha-robotics.example", "down")
    const odoo = new Map<string, OdooDatabase.OdooDatabase>()
    const { counters, layer } = World.make({ sites: down, odoo })
    return Effect.gen(function*() {
      yield* seedTenant
      const run = finished(yield* EnrichmentRun.run(options()))
      expect(run.summary.targets).toMatchObject({ total: 4, partial: 1, failed: 0 })
      expect(counters["tavily.search"]).toBe(2)
      const recorded = Option.getOrThrow(yield* (yield* Store.Store).forTenant(tenantId).runs.get(run.runId as never))
      expect(recorded.status).toBe("partial")
    }).pipe(Effect.provide(layer))
  })

  it.effect("the same day: no company twice unless rerun; a rerun pays no verification or rationale twice", () => {
    const { counters, layer } = setup()
    return Effect.gen(function*() {
      yield* seed
      yield* EnrichmentRun.run(options())
      const verified = counters["zerobounce.emails"]!
      const again = finished(yield* EnrichmentRun.run(options()))
      expect(again.summary.targets.total).toBe(0)
      const rerun = finished(yield* EnrichmentRun.run(options({ rerun: true })))
      expect(rerun.summary.targets.total).toBe(4)
      expect(counters["zerobounce.emails"]).toBe(verified)
      const rationale = rerun.summary.steps.find((s) => s.step === "rationale")!
      expect(rationale.skipped.cached).toBe(4)
    }).pipe(Effect.provide(layer))
  })

  it.effect("re-running a run id restores every succeeded step without calling a vendor", () => {
    const { counters, layer } = setup()
    return Effect.gen(function*() {
      yield* seed
      const first = finished(yield* EnrichmentRun.run(options()))
      const before = { ...counters }
      const again = finished(yield* EnrichmentRun.run(options({ runId: first.runId })))
      expect(again.resumed).toBe(true)
      expect(again.summary.targets.total).toBe(4)
      for (const s of again.summary.steps) expect(s.succeeded).toBe(0)
      expect(counters).toEqual(before)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a dry run writes nothing, calls nothing and forecasts the calls", () => {
    const { counters, layer } = setup()
    return Effect.gen(function*() {
      yield* World.seedTenant(tenantId, [...domains.map((d) => World.company(d)), World.company("no-site.example", null)], rules)
      const planned = yield* EnrichmentRun.run(options({ dryRun: true }))
      if (planned._tag !== "Planned") throw new Error("expected a plan")
      expect(planned.targets).toHaveLength(5)
      // no history: every company at defaults
      expect(planned.forecast.basis).toEqual({ known: 0, averaged: 0, defaulted: 5 })
      expect(planned.forecast.vendors.lusha.calls).toBe(5)
      expect(planned.forecast.vendors.zerobounce.calls).toBe(5 * Pipeline.defaultAddresses())
      expect(planned.forecast.vendors.openai.calls).toBe(10)
      expect(planned.forecast.vendors.tavily.calls).toBe(Pipeline.searchCallsWhenThin)
      expect(counters).toEqual({})
      const runs = (yield* Store.Store).forTenant(tenantId).runs
      expect(Option.isNone(yield* runs.get(planned.runId as never))).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("after a run, a dry run forecasts each company from its record, and new ones at the tenant's averages", () => {
    const more = new Map<string, World.Site>([
      ...sites,
      ["epsilon-robotics.example", { corpus: World.thick("robotics", "Germany") }],
      ["zeta-foods.example", { corpus: World.thick("foods", "Spain") }]
    ])
    const { counters, layer } = World.make({ sites: more, odoo: new Map() })
    const spentSince = (before: Readonly<Record<string, number>>, ...names: ReadonlyArray<string>) =>
      names.reduce((n, name) => n + (counters[name] ?? 0) - (before[name] ?? 0), 0)
    return Effect.gen(function*() {
      yield* seed
      finished(yield* EnrichmentRun.run(options()))
      const plan = yield* EnrichmentRun.run(options({ dryRun: true, rerun: true }))
      if (plan._tag !== "Planned") throw new Error("expected a plan")
      expect(plan.forecast.basis).toEqual({ known: 4, averaged: 0, defaulted: 0 })
      const before = { ...counters }
      const again = finished(yield* EnrichmentRun.run(options({ rerun: true })))
      const { vendors } = plan.forecast
      // delta's tiny site is searched again; every address has a cached verdict
      expect(vendors.tavily.calls).toBe(Pipeline.searchCallsWhenThin)
      expect(vendors.tavily.calls).toBe(spentSince(before, "tavily.search", "tavily.extract"))
      expect(vendors.lusha.calls).toBe(spentSince(before, "lusha.findContacts"))
      expect(vendors.zerobounce.calls).toBe(0)
      expect(spentSince(before, "zerobounce.verify", "zerobounce.verifyMany")).toBe(0)
      // extraction only: every rationale is cached, as the run then found
      expect(vendors.openai.calls).toBe(4)
      expect(again.summary.steps.find((s) => s.step === "rationale")?.skipped.cached).toBe(4)

      // two companies never enriched: at the averages (one of four sites thin)
      yield* World.seedTenant(tenantId, [...more.keys()].map((d) => World.company(d)), rules)
      const mixed = yield* EnrichmentRun.run(options({ dryRun: true, rerun: true }))
      if (mixed._tag !== "Planned") throw new Error("expected a plan")
      expect(mixed.forecast.basis).toEqual({ known: 4, averaged: 2, defaulted: 0 })
      expect(mixed.forecast.vendors.tavily.calls).toBe(Pipeline.searchCallsWhenThin * (1 + 2 * 0.25))
      expect(mixed.forecast.vendors.lusha.calls).toBe(6)
      expect(mixed.forecast.vendors.openai.calls).toBe(4 + 2 * 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("the daily cap counts every run of the day; a rerun and the next day have their own", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      yield* seed
      const taken = (r: EnrichmentRun.Result) => finished(r).summary.targets.total
      expect(taken(yield* EnrichmentRun.run(options({ cap: 3 })))).toBe(3)
      // one company is left, but the day's cap of 3 is spent
      expect(taken(yield* EnrichmentRun.run(options({ cap: 3 })))).toBe(0)
      expect(taken(yield* EnrichmentRun.run(options({ cap: 4 })))).toBe(1)
      expect(taken(yield* EnrichmentRun.run(options({ cap: 3, rerun: true })))).toBe(3)
      expect(taken(yield* EnrichmentRun.run(options({ cap: 3, runDay: "2026-11-29" })))).toBe(3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a stop request starts no new company; re-running the run id finishes the rest, paying nothing twice", () => {
    const { counters, layer } = setup()
    return Effect.gen(function*() {
      yield* seed
      const stop = yield* Deferred.make<void>()
      const first = finished(yield* EnrichmentRun.run(options({
        concurrency: 1,
        stop,
        sinks: [(event) => event._tag === "TargetFinished" ? Deferred.succeed(stop, undefined) : Effect.void]
      })))
      expect(first.status).toBe("cancelled")
      expect(first.summary.targets.total).toBe(1)
      expect(counters["lusha.findContacts"]).toBe(1)
      const rest = finished(yield* EnrichmentRun.run(options({ runId: first.runId })))
      expect(rest.status).toBe("succeeded")
      expect(rest.summary.targets.total).toBe(4)
      expect(counters["lusha.findContacts"]).toBe(4)
      const crawl = rest.summary.steps.find((s) => s.step === "crawl")!
      expect([crawl.restored, crawl.succeeded]).toEqual([1, 3])
    }).pipe(Effect.provide(layer))
  })

  it.effect("an unknown step name fails before anything runs or is recorded", () => {
    const { counters, layer } = setup()
    return Effect.gen(function*() {
      yield* seed
      const error = yield* Effect.flip(EnrichmentRun.run(options({ skip: ["export", "exprot"] })))
      expect(error).toMatchObject({ _tag: "GraphError", reason: "UnknownStep", steps: ["exprot"] })
      expect(counters).toEqual({})
    }).pipe(Effect.provide(layer))
  })
})
