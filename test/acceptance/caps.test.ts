/**
 * Acceptance: vendor caps hold. With Lusha lookups and ZeroBounce
 * verifications capped well below what the run needs, the fakes' counters
 * never pass the caps, and the run still completes: the capped steps are
 * skipped for budget, not failed, and the run is partial, not failed.
 */
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, Store } from "@leadgraph/core"
import type { Run } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"
import { Effect, Option } from "effect"
import { finished, makeWorld, stepOf, targets } from "./harness.js"

const companies = 16
/** A company has up to 10 contacts and a few site addresses: these caps cover a handful of companies. */
const caps = { lushaLookups: 15, zeroBounceVerifications: 12 }

describe.each(targets)("acceptance: vendor caps ($label)", ({ database }) => {
  it.live("the fakes never spend past the caps; capped steps are skipped, the run is partial", () =>
    Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({ database: database(), companiesPerTenant: companies, caps })
      const tenant = world.tenants[0]!
      const options = yield* world.options(tenant.id)
      expect(options.caps).toEqual(Settings.budgetCaps(world.settings.caps))
      const result = finished(yield* world.use(EnrichmentRun.run(options)))

      const lusha = {
        credits: yield* world.fakes.lusha.creditsUsed,
        enrichments: yield* world.fakes.lusha.callsOf("POST /prospecting/contact/enrich")
      }
      const zeroBounce = {
        credits: yield* world.fakes.zeroBounce.creditsUsed,
        batches: yield* world.fakes.zeroBounce.callsOf("POST /v2/validatebatch")
      }
      // The caps bound what the vendors charged, and something was spent under them.
      expect(lusha.credits).toBeGreaterThan(0)
      expect(lusha.credits).toBeLessThanOrEqual(caps.lushaLookups)
      expect(zeroBounce.credits).toBeGreaterThan(0)
      expect(zeroBounce.credits).toBeLessThanOrEqual(caps.zeroBounceVerifications)
      // The run's own account agrees with the vendors'.
      expect(result.budgets["lusha.lookups"]!.used).toBeLessThanOrEqual(caps.lushaLookups)
      expect(result.budgets["zerobounce.verifications"]!.used).toBeLessThanOrEqual(caps.zeroBounceVerifications)

      // Every company ran; the capped steps were skipped for budget, never failed.
      expect(result.summary.targets.total).toBe(companies)
      expect(result.summary.targets.failed).toBe(0)
      const contacts = stepOf(result, "contacts")
      const verify = stepOf(result, "verify")
      expect(contacts.failed).toBe(0)
      expect(verify.failed).toBe(0)
      expect(contacts.skipped.budget).toBeGreaterThan(0)
      expect(verify.skipped.budget).toBeGreaterThan(0)
      expect(contacts.succeeded + contacts.skipped.budget).toBe(companies)
      // Downstream of a skipped step the lead is still scored and stored.
      expect(stepOf(result, "score").succeeded).toBe(companies)
      expect(stepOf(result, "persist").succeeded).toBe(companies)
      expect(result.status).toBe("partial")

      // The stored run says the same.
      const stored = yield* world.use(Effect.flatMap(Store.Store, (s) =>
        s.forTenant(tenant.id).runs.get(result.runId as Run.RunId)))
      const run = Option.getOrThrow(stored)
      expect(run.status).toBe("partial")
      expect(run.steps["contacts"]).toMatchObject({ failed: 0 })
      expect(run.steps["verify"]).toMatchObject({ failed: 0 })
    })), 120_000)
})
