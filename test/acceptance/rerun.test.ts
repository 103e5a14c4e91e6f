/**
 * Acceptance: one tenant's dry run, then its real run, then a second dry run
 * and a second real run over the same companies (`rerun`). A dry run's
 * forecast of each vendor's calls is within 10% of what the real run then
 * spent, once the tenant has history (before its first run, Tavily and
 * ZeroBounce can only be bounded: see `Forecast`); the second run makes no
 * ZeroBounce call for addresses already verified and no rationale call for
 * unchanged features; and the Odoo export is idempotent: both runs leave the
 * same partners and leads in the fake Odoo.
 *
 * The scenario runs once per database (as the suite's shared layer); each
 * test asserts one of its findings.
 */
import { expect, layer } from "@effect/vitest"
import type { Forecast } from "@leadgraph/core"
import { Context, Effect, Layer } from "effect"
import { countCompletions, finished, makeWorld, stepOf, targets } from "./harness.js"
import { EnrichmentRun } from "@leadgraph/core"

const companies = 20
/** A high export threshold: some leads reach Odoo, not all (the fake Odoo is rate-limited to 10 calls a second). */
const scoreMinExport = 80

/** The fakes' counters at one moment. */
interface Counters {
  readonly tavily: number
  readonly lushaSearches: number
  readonly lushaEnrichments: number
  readonly lushaCredits: number
  readonly zeroBounceBatches: number
  readonly zeroBounceSingles: number
  readonly zeroBounceCredits: number
  readonly completions: number
  readonly tokens: number
  /** ORM method calls the tenant's Odoo answered. */
  readonly odooCalls: number
}

interface Findings {
  readonly before: Counters
  readonly afterPlan: Counters
  readonly forecast: Forecast.Forecast
  readonly secondForecast: Forecast.Forecast
  readonly planned: number
  readonly first: EnrichmentRun.Finished
  readonly second: EnrichmentRun.Finished
  readonly afterFirst: Counters
  readonly afterSecond: Counters
  readonly firstKinds: Record<string, number>
  readonly secondKinds: Record<string, number>
  readonly odooFirst: Snapshot
  readonly odooSecond: Snapshot
}

interface Snapshot {
  readonly partners: ReadonlyArray<Record<string, unknown>>
  readonly leads: ReadonlyArray<Record<string, unknown>>
}

class Scenario extends Context.Tag("acceptance/Scenario")<Scenario, Findings>() {}

const withoutDates = (records: ReadonlyArray<Record<string, unknown>>) =>
  records.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/_date$|^__last_update$/.test(k))))

const scenario = (database: ReturnType<(typeof targets)[number]["database"]>) =>
  Layer.scoped(
    Scenario,
    Effect.gen(function*() {
      const world = yield* makeWorld({ database, companiesPerTenant: companies })
      const tenant = world.tenants[0]!
      const { fakes } = world
      const counters: Effect.Effect<Counters> = Effect.gen(function*() {
        const tavily = yield* fakes.tavily.calls
        const lusha = yield* fakes.lusha.calls
        const zb = yield* fakes.zeroBounce.calls
        return {
          tavily: (tavily["POST /search"] ?? 0) + (tavily["POST /extract"] ?? 0),
          lushaSearches: lusha["POST /prospecting/contact/search"] ?? 0,
          lushaEnrichments: lusha["POST /prospecting/contact/enrich"] ?? 0,
          lushaCredits: yield* fakes.lusha.creditsUsed,
          zeroBounceBatches: zb["POST /v2/validatebatch"] ?? 0,
          zeroBounceSingles: zb["GET /v2/validate"] ?? 0,
          zeroBounceCredits: yield* fakes.zeroBounce.creditsUsed,
          completions: (yield* fakes.openAi.calls)["POST /v1/chat/completions"] ?? 0,
          tokens: (yield* fakes.openAi.served).totalTokens,
          odooCalls: Object.values(yield* world.odoo[0]!.methodCalls).reduce((a, b) => a + b, 0)
        }
      })
      const knobs = { scoreMinExport, exportToOdoo: true }
      const snapshot = (): Snapshot => ({
        partners: withoutDates(world.odoo[0]!.db.all("res.partner")),
        leads: withoutDates(world.odoo[0]!.db.all("crm.lead"))
      })

      const before = yield* counters
      const plan = yield* world.use(EnrichmentRun.run(yield* world.options(tenant.id, { dryRun: true, knobs })))
      if (plan._tag !== "Planned") throw new Error("expected a plan")
      const afterPlan = yield* counters

      const first = yield* countCompletions(
        fakes,
        world.use(EnrichmentRun.run(yield* world.options(tenant.id, { knobs }))).pipe(Effect.map(finished))
      )
      const afterFirst = yield* counters
      const odooFirst = snapshot()
      const secondPlan = yield* world.use(EnrichmentRun.run(yield* world.options(tenant.id, { dryRun: true, knobs, rerun: true })))
      if (secondPlan._tag !== "Planned") throw new Error("expected a plan")
      expect(yield* counters, "a dry run calls no vendor").toEqual(afterFirst)
      const second = yield* countCompletions(
        fakes,
        world.use(EnrichmentRun.run(yield* world.options(tenant.id, { knobs, rerun: true }))).pipe(Effect.map(finished))
      )
      const afterSecond = yield* counters
      return {
        before,
        afterPlan,
        forecast: plan.forecast,
        secondForecast: secondPlan.forecast,
        planned: plan.targets.length,
        first: first.value,
        second: second.value,
        afterFirst,
        afterSecond,
        firstKinds: first.kinds,
        secondKinds: second.kinds,
        odooFirst,
        odooSecond: snapshot()
      }
    })
  )

/** The calls each vendor answered between two readings of the counters. */
const spent = (from: Counters, to: Counters): Record<Forecast.Vendor, number> => ({
  tavily: to.tavily - from.tavily,
  openai: to.completions - from.completions,
  lusha: to.lushaSearches - from.lushaSearches,
  zerobounce: to.zeroBounceBatches + to.zeroBounceSingles - from.zeroBounceBatches - from.zeroBounceSingles
})

/** True when `forecast` is within 10% of `actual`. */
const within10 = (forecast: number, actual: number) => Math.abs(forecast - actual) <= 0.1 * actual

for (const target of targets) {
  layer(scenario(target.database()), { excludeTestServices: true, timeout: "240 seconds" })(
    `acceptance: dry run, run and rerun (${target.label})`,
    (it) => {
      it.effect("both runs take every company and complete", () =>
        Effect.map(Scenario, (s) => {
          expect(s.planned).toBe(companies)
          expect(s.afterPlan, "a dry run calls no vendor").toEqual(s.before)
          for (const run of [s.first, s.second]) {
            expect(run.summary.targets.total).toBe(companies)
            expect(run.summary.targets.failed).toBe(0)
            expect(run.status).not.toBe("failed")
          }
        }))

      it.effect("with history, the dry run's forecast of each vendor's calls equals the real run's", () =>
        Effect.map(Scenario, (s) => {
          const { basis, vendors } = s.secondForecast
          expect(basis).toEqual({ known: companies, averaged: 0, defaulted: 0 })
          // What each forecast counts: Tavily HTTP calls (search and extract), LLM
          // completions, Lusha contact searches, ZeroBounce validations and batches.
          const actual = spent(s.afterFirst, s.afterSecond)
          expect(actual.tavily, "some sites are thin, so the check means something").toBeGreaterThan(0)
          for (const vendor of Object.keys(actual) as Array<Forecast.Vendor>) {
            expect.soft(vendors[vendor].calls, `${vendor}: forecast ${vendors[vendor].calls}, spent ${actual[vendor]}`)
              .toBe(actual[vendor])
          }
        }))

      it.effect("with no history, the forecast is within 10% for OpenAI and Lusha and bounds the rest", () =>
        Effect.map(Scenario, (s) => {
          const { basis, vendors } = s.forecast
          expect(basis).toEqual({ known: 0, averaged: 0, defaulted: companies })
          const actual = spent(s.before, s.afterFirst)
          for (const vendor of ["openai", "lusha"] as const) {
            expect.soft(within10(vendors[vendor].calls, actual[vendor]), `${vendor}: forecast ${vendors[vendor].calls}, spent ${actual[vendor]}`)
              .toBe(true)
          }
          // Only the crawl can tell a thin site, so with no history Tavily is forecast
          // for companies without a website (none here); ZeroBounce at every address
          // Lusha and the site may give, an upper bound.
          expect(vendors.tavily.calls).toBe(0)
          expect(actual.zerobounce).toBeGreaterThan(0)
          expect(actual.zerobounce).toBeLessThanOrEqual(vendors.zerobounce.calls)
          // The units drawn stay under the forecast's maxima.
          const units = { lusha: s.afterFirst.lushaCredits, zerobounce: s.afterFirst.zeroBounceCredits, openai: s.afterFirst.tokens }
          for (const [vendor, used] of Object.entries(units) as Array<[Forecast.Vendor, number]>) {
            expect.soft(used, `${vendor} units used vs the forecast's maximum`).toBeLessThanOrEqual(vendors[vendor].maxUnits)
          }
        }))

      it.effect("the second run makes no ZeroBounce call and no rationale call", () =>
        Effect.map(Scenario, (s) => {
          // The first run did verify and write rationales, so the caches had something to hold.
          expect(s.afterFirst.zeroBounceBatches + s.afterFirst.zeroBounceSingles).toBeGreaterThan(0)
          expect(s.firstKinds["lead_score_rationale"]).toBe(companies)
          expect(stepOf(s.first, "verify").succeeded).toBe(companies)
          expect({
            zeroBounceCalls: s.afterSecond.zeroBounceBatches + s.afterSecond.zeroBounceSingles -
              s.afterFirst.zeroBounceBatches - s.afterFirst.zeroBounceSingles,
            zeroBounceCredits: s.afterSecond.zeroBounceCredits - s.afterFirst.zeroBounceCredits,
            rationaleCalls: s.secondKinds["lead_score_rationale"] ?? 0
          }).toEqual({ zeroBounceCalls: 0, zeroBounceCredits: 0, rationaleCalls: 0 })
          expect(stepOf(s.second, "rationale").skipped.cached).toBe(companies)
          // The second run did run: it extracted again (no cache there) with the LLM.
          expect(s.secondKinds["firmographics"]).toBeGreaterThan(0)
        }))

      it.effect("the Odoo export is idempotent: both runs leave the same partners and leads", () =>
        Effect.map(Scenario, (s) => {
          expect(s.odooFirst.leads.length).toBeGreaterThan(0)
          expect(s.odooFirst.leads.length).toBeLessThan(companies)
          expect(stepOf(s.second, "export").failed).toBe(0)
          // The second run did export again (it is the upserts that are idempotent).
          expect(s.afterSecond.odooCalls).toBeGreaterThan(s.afterFirst.odooCalls)
          expect(s.odooSecond.partners).toEqual(s.odooFirst.partners)
          expect(s.odooSecond.leads).toEqual(s.odooFirst.leads)
        }))
    }
  )
}
