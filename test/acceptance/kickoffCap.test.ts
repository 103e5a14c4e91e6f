/**
 * Acceptance: a run started over HTTP (`POST /admin/runs`, carried out by
 * the runner's `HttpLaunch`, the live launcher of `leadgraph serve`) takes
 * the tenant's own daily cap over `SCHED_DAILY_CAP_PER_TENANT`, as `run` and
 * `nightly` do. With the global cap at 5 and 8 companies per tenant, the
 * tenant whose row says 2 runs 2 companies, the other 5; each stored
 * manifest records the cap it ran under. The launcher runs for real: fake
 * vendors, fixture sites and each tenant's fake Odoo, reached through the
 * environment `leadgraph fakes` prints.
 */
import { describe, expect, it } from "@effect/vitest"
import { Kickoffs, Store } from "@leadgraph/core"
import type { Run } from "@leadgraph/core"
import { FakeWorld } from "@leadgraph/adapters/testing"
import { HttpLaunch } from "@leadgraph/runner"
import type { Settings } from "@leadgraph/runner"
import { ConfigProvider, Context, Effect, Layer, Option } from "effect"
import { makeWorld, targets } from "./harness.js"

const companies = 8
const globalCap = 5
const ownCap = 2

describe.each(targets)("acceptance: HTTP kickoff and the tenant's own cap ($label)", ({ database }) => {
  it.live("the launched run takes the tenant's daily_cap over SCHED_DAILY_CAP_PER_TENANT", () =>
    Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({ database: database(), companiesPerTenant: companies })
      const [a, b] = world.tenants
      const settings: Settings.Settings = {
        ...world.settings,
        schedule: { ...world.settings.schedule, dailyCapPerTenant: globalCap, companyConcurrency: 8 },
        crawler: { allowAddresses: ["127.0.0.1/32"], minDelay: "20 millis", requestTimeout: "5 seconds" },
        crawlerHosts: { "*.test": ["127.0.0.1"] }
      }
      const outcome = yield* world.use(Effect.gen(function*() {
        const store = yield* Store.Store
        yield* store.forTenant(a!.id).tenants.save({ name: a!.name, dailyCap: ownCap })
        // the vendors' coordinates as `leadgraph fakes` prints them; the tenants' Odoo secrets as the world has them
        const world_ = yield* Effect.configProviderWith(Effect.succeed)
        const provider = ConfigProvider.fromMap(new Map(FakeWorld.environmentOf(world.fakes))).pipe(
          ConfigProvider.orElse(() => world_)
        )
        return yield* Effect.gen(function*() {
          const kickoffs = Context.get(yield* Layer.build(HttpLaunch.layer(settings)), Kickoffs.Kickoffs)
          const ids = yield* Effect.forEach([a!, b!], (t) => kickoffs.start(t.id))
          // each run ends on its own: wait for its status to leave "running"
          const statuses = yield* Effect.forEach(ids, (id) =>
            Effect.gen(function*() {
              let status = Option.getOrThrow(yield* kickoffs.get(id))
              while (status.status === "running") {
                yield* Effect.sleep("50 millis")
                status = Option.getOrThrow(yield* kickoffs.get(id))
              }
              return status
            }))
          const stored = yield* Effect.forEach(statuses, (s) =>
            Effect.map(store.forTenant(s.tenantId as never).runs.get(s.id as Run.RunId), Option.getOrThrow))
          return { statuses, stored }
        }).pipe(Effect.scoped, Effect.withConfigProvider(provider))
      }))

      const [ra, rb] = outcome.statuses
      expect(outcome.statuses.map((s) => s.error)).toEqual([null, null])
      expect([ra!.tenantId, rb!.tenantId]).toEqual([a!.id, b!.id])
      // the tenant's own cap (2), not the global 5; the other tenant the global 5 (of 8)
      expect(ra).toMatchObject({ progress: { total: ownCap, done: ownCap }, summary: { targets: { total: ownCap, failed: 0 } } })
      expect(rb).toMatchObject({ progress: { total: globalCap, done: globalCap }, summary: { targets: { total: globalCap, failed: 0 } } })
      expect(outcome.statuses.every((s) => s.status === "succeeded" || s.status === "partial")).toBe(true)
      expect(outcome.stored.map((r) => [r.manifest.cap, r.manifest.companyIds.length])).toEqual([
        [ownCap, ownCap],
        [globalCap, globalCap]
      ])
    })), 120_000)
})
