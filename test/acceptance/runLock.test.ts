/**
 * Acceptance: one real run per tenant at a time. While someone else holds a
 * tenant's run lock (another process's run; here the test, through the
 * store), a run of that tenant fails with `RunInProgress` having recorded
 * nothing and called no vendor; a dry run still plans; the nightly run
 * reports the tenant busy, runs the others and exits 0; once the lock is
 * free the tenant runs again.
 */
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, Nightly, Report, Store } from "@leadgraph/core"
import type { Run } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"
import { Cause, Effect, Exit, Option } from "effect"
import { finished, makeWorld, targets } from "./harness.js"

describe.each(targets)("acceptance: one run per tenant ($label)", ({ database }) => {
  it.live("a held lock: RunInProgress with nothing recorded and no vendor called; the nightly reports the tenant busy", () =>
    Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({ database: database(), companiesPerTenant: 2 })
      const [a, b] = world.tenants
      const { fakes } = world
      const vendorCalls = Effect.map(
        Effect.all([fakes.tavily.calls, fakes.lusha.calls, fakes.zeroBounce.calls, fakes.openAi.calls, ...world.odoo.map((o) => o.calls)]),
        (all) => all.flatMap((calls) => Object.values(calls)).reduce((n, c) => n + c, 0)
      )
      const runId = `${a!.id}-held-lock`
      const options = yield* world.options(a!.id, { runId })

      const held = yield* world.use(Effect.scoped(Effect.gen(function*() {
        const store = yield* Store.Store
        expect(yield* store.tryLockRun(a!.id)).toBe(true)
        const before = yield* vendorCalls
        const exit = yield* Effect.exit(EnrichmentRun.run(options))
        const calls = (yield* vendorCalls) - before
        const recorded = yield* store.forTenant(a!.id).runs.get(runId as Run.RunId)
        const planned = yield* EnrichmentRun.run({ ...options, dryRun: true })
        const nightly = yield* Nightly.run({
          tenantConcurrency: 2,
          dailyCap: world.settings.schedule.dailyCapPerTenant,
          timeZone: world.settings.schedule.timeZone,
          tenant: { concurrency: 4, caps: Settings.budgetCaps(world.settings.caps), knobs: { exportToOdoo: false } }
        })
        return { exit, calls, recorded, planned, nightly }
      })))

      expect(Exit.isFailure(held.exit)).toBe(true)
      const error = Exit.isFailure(held.exit) ? Option.getOrUndefined(Cause.failureOption(held.exit.cause)) : undefined
      expect(error).toBeInstanceOf(EnrichmentRun.RunInProgress)
      expect(error).toMatchObject({ _tag: "RunInProgress", tenantId: a!.id })
      expect(held.calls).toBe(0)
      expect(Option.isNone(held.recorded)).toBe(true)
      // a dry run takes no lock
      expect(held.planned._tag).toBe("Planned")

      const byTenant = new Map(held.nightly.tenants.map((t) => [t.tenant.id, t]))
      expect(byTenant.get(a!.id)?._tag).toBe("Busy")
      const other = byTenant.get(b!.id)
      expect(other?._tag).toBe("Ran")
      if (other?._tag === "Ran") expect(finished(other.result).summary.targets.total).toBe(2)
      expect(Nightly.exitCode(held.nightly)).toBe(0)
      expect(Report.nightly(held.nightly)).toMatch(new RegExp(`${a!.id}\\s+busy`))

      // the lock's scope closed with its holder: the tenant runs, under the same id, from scratch
      const after = finished(yield* world.use(EnrichmentRun.run(options)))
      expect(after.runId).toBe(runId)
      expect(after.resumed).toBe(false)
      expect(after.summary.targets.total).toBe(2)
    })), 120_000)
})
