/**
 * Acceptance: one tenant's dry run, then its real run, then a second run
 * over the same companies (`rerun`). The dry run's forecast of each vendor's
 * calls is within 10% of what the real run spent; the second run makes no
 * ZeroBounce call for addresses already verified and no rationale call for
 * unchanged features; and the Odoo export is idempotent: both runs leave the
 * same partners and leads in the fake Odoo.
 *
 * The scenario runs once per database (as the suite's shared layer); each
 * test asserts one of its findings.
 */
import { expect, layer } from "@effect/vitest"
import type { Pipeline } from "@leadgraph/core"
import { TenantRun } from "@leadgraph/runner"
import { Context, Effect, Layer } from "effect"
import { countCompletions, finished, makeWorld, stepOf, targets } from "./harness.js"

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
  readonly forecast: Record<Pipeline.Vendor, Pipeline.VendorForecast>
  readonly planned: number
  readonly first: TenantRun.Finished
  readonly second: TenantRun.Finished
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
      const plan = yield* world.use(TenantRun.run(yield* world.options(tenant.id, { dryRun: true, knobs })))
      if (plan._tag !== "Planned") throw new Error("expected a plan")
      const afterPlan = yield* counters

      const first = yield* countCompletions(
        fakes,
        world.use(TenantRun.run(yield* world.options(tenant.id, { knobs }))).pipe(Effect.map(finished))
      )
      const afterFirst = yield* counters
      const odooFirst = snapshot()
      const second = yield* countCompletions(
        fakes,
        world.use(TenantRun.run(yield* world.options(tenant.id, { knobs, rerun: true }))).pipe(Effect.map(finished))
      )
      const afterSecond = yield* counters
      return {
        before,
        afterPlan,
        forecast: plan.forecast,
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

      it.effect("the dry run's forecast of each vendor's calls is within 10% of the real run's", () =>
        Effect.map(Scenario, (s) => {
          // Tavily is called only for a corpus too thin to extract from, which only the
          // crawl can tell: the forecast counts the companies without a website (none
          // here) and cannot foresee the thin sites. ZeroBounce verifies each fresh
          // address; how many Lusha returns is not known before the run, so its forecast
          // is an upper bound. Both are checked against those rules below.
          // What each vendor's forecast counts (see Pipeline.forecast): Tavily HTTP calls
          // (search and extract), LLM completions, Lusha contact searches (one findContacts
          // each), ZeroBounce batches.
          const actual: Record<"openai" | "lusha", number> = {
            openai: s.afterFirst.completions,
            lusha: s.afterFirst.lushaSearches
          }
          const report = Object.fromEntries(
            (Object.keys(actual) as Array<keyof typeof actual>).map((v) => [v, { forecast: s.forecast[v].calls, actual: actual[v] }])
          )
          for (const vendor of Object.keys(actual) as Array<keyof typeof actual>) {
            expect.soft(within10(s.forecast[vendor].calls, actual[vendor]), `${vendor}: ${JSON.stringify(report)}`).toBe(true)
          }
          expect(s.forecast.tavily.calls, "no company lacks a website").toBe(0)
          const zeroBounceCalls = s.afterFirst.zeroBounceBatches + s.afterFirst.zeroBounceSingles
          expect(zeroBounceCalls).toBeGreaterThan(0)
          expect(zeroBounceCalls).toBeLessThanOrEqual(s.forecast.zerobounce.calls)
          // The units drawn stay under the forecast's maxima.
          const units = { lusha: s.afterFirst.lushaCredits, zerobounce: s.afterFirst.zeroBounceCredits, openai: s.afterFirst.tokens }
          for (const [vendor, used] of Object.entries(units) as Array<[Pipeline.Vendor, number]>) {
            expect.soft(used, `${vendor} units used vs the forecast's maximum`).toBeLessThanOrEqual(s.forecast[vendor].maxUnits)
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
