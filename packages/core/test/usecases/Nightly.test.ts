/**
 * The nightly run over the memory store and the port doubles: every active
 * tenant runs; a tenant whose run lock is held elsewhere is busy, not
 * failed; the run day is computed once, in the given zone, for the whole
 * night. `runTenant` runs one named tenant as a night of one.
 */
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, Nightly, Report, Store, Tenant } from "@leadgraph/core"
import type { Events } from "@leadgraph/core"
import { Effect, Exit, Scope, TestClock } from "effect"
import * as World from "./world.js"

const a = Tenant.TenantId.make("tenant-a")
const b = Tenant.TenantId.make("tenant-b")
const disabled = Tenant.TenantId.make("tenant-c")

const domainsOf = (tenant: string) => [`${tenant}-one.example`, `${tenant}-two.example`]
const sites = new Map(
  [a, b, disabled].flatMap((t) => domainsOf(t).map((d) => [d, { corpus: `Industry: robotics\nCountry: Germany\n${"Robots. ".repeat(300)}` }] as const))
)

/** 00:30 on 2 March in Singapore: still 1 March in UTC. */
const early = Date.parse("2026-03-01T16:30:00Z")

const nightly = (options?: Partial<Nightly.Options>) =>
  Nightly.run({
    tenantConcurrency: 2,
    dailyCap: 10,
    timeZone: "Asia/Singapore",
    tenant: { concurrency: 2, caps: World.caps },
    ...options
  })

const seedAll = Effect.all([
  World.seed(a, domainsOf(a)),
  World.seed(b, domainsOf(b)),
  World.seed(disabled, domainsOf(disabled)).pipe(
    Effect.zipRight(Effect.flatMap(Store.Store, (s) => s.forTenant(disabled).tenants.save({ name: "c", disabled: true })))
  )
], { discard: true })

describe("Nightly", () => {
  it.effect("runs every active tenant, each on the night's day", () => {
    const world = World.make({ sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(early)
      yield* seedAll
      const result = yield* nightly()
      expect(result.runDay).toBe("2026-03-02")
      expect(result.timeZone).toBe("Asia/Singapore")
      // the disabled tenant takes no part
      expect(result.tenants.map((t) => [t._tag, t.tenant.id])).toEqual([["Ran", a], ["Ran", b]])
      expect(Nightly.exitCode(result)).toBe(0)
      for (const outcome of result.tenants) {
        if (outcome._tag !== "Ran") throw new Error("expected a run")
        const run = World.finished(outcome.result)
        expect(run.status).toBe("succeeded")
        expect(run.summary.targets).toEqual({ total: 2, succeeded: 2, partial: 0, failed: 0 })
        expect(run.runId).toMatch(new RegExp(`^${outcome.tenant.id}-2026-03-02-[0-9a-z]{6}$`))
        const stored = yield* World.storedRunOrThrow(outcome.tenant.id, run.runId)
        expect([stored.manifest.runDay, stored.status, stored.counts]).toEqual(["2026-03-02", "succeeded", { succeeded: 2 }])
      }
      expect(world.calls.of("crawler.crawl")).toBe(4)
      expect(world.calls.of("odoo.connect")).toBe(2)
      expect([...world.odoo.keys()].sort()).toEqual([a, b])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a tenant whose run lock is held elsewhere is busy, not failed (exit code 0), and is left alone", () => {
    const world = World.make({ sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(early)
      yield* seedAll
      const elsewhere = yield* Scope.make()
      yield* EnrichmentRun.lock(b).pipe(Scope.extend(elsewhere))

      const result = yield* nightly()
      expect(result.tenants.map((t) => [t._tag, t.tenant.id])).toEqual([["Ran", a], ["Busy", b]])
      expect(result.tenants.some(Nightly.isFailure)).toBe(false)
      expect(Nightly.exitCode(result)).toBe(0)
      // b: no crawl, no company enriched
      expect(world.calls.of("crawler.crawl")).toBe(2)
      expect((yield* World.companiesOf(b, domainsOf(b))).map((c) => c.lastEnrichedAt)).toEqual([null, null])
      yield* Scope.close(elsewhere, Exit.void)

      // once the lock is free, the next night runs b
      const next = yield* nightly({ filter: { include: [b] } })
      expect(next.tenants.map((t) => [t._tag, t.tenant.id])).toEqual([["Ran", b]])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a tenant whose run fails is a failure (exit code 1); the others still run", () => {
    // every site of tenant a refuses the crawl, and Lusha refuses its domains: all its companies fail a step
    const refusing = new Map([...sites].filter(([d]) => !d.startsWith(a)))
    const world = World.make({ sites: refusing, lushaFailing: new Set(domainsOf(a)) })
    return Effect.gen(function*() {
      yield* TestClock.setTime(early)
      yield* seedAll
      const result = yield* nightly()
      expect(result.tenants.map((t) => [t._tag, t.tenant.id])).toEqual([["Ran", a], ["Ran", b]])
      const [ranA, ranB] = result.tenants.map((t) => (t._tag === "Ran" ? World.finished(t.result) : undefined))
      expect(ranA?.status).toBe("failed")
      expect(ranB?.status).toBe("succeeded")
      expect(result.tenants.map(Nightly.isFailure)).toEqual([true, false])
      expect(Nightly.exitCode(result)).toBe(1)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("the run day is computed once, in the given zone: a night that runs past midnight keeps its day", () => {
    const world = World.make({ sites })
    return Effect.gen(function*() {
      // 23:30 on 2 March in Singapore
      yield* TestClock.setTime(Date.parse("2026-03-02T15:30:00Z"))
      yield* seedAll
      // the first tenant's companies finish after midnight, local time
      const nextDay = Date.parse("2026-03-02T16:30:00Z")
      const pastMidnight: Events.Sink = (event) => event._tag === "TargetFinished" ? TestClock.setTime(nextDay) : Effect.void
      const result = yield* nightly({
        tenantConcurrency: 1,
        sinksFor: (tenant) => (tenant.id === a ? [pastMidnight] : [])
      })
      expect(result.runDay).toBe("2026-03-02")
      expect(Nightly.dayIn(nextDay, "Asia/Singapore")).toBe("2026-03-03")
      expect(result.wallMillis).toBe(nextDay - Date.parse("2026-03-02T15:30:00Z"))
      const runs = result.tenants.map((t) => (t._tag === "Ran" ? World.finished(t.result) : undefined))
      // b started on the 3rd by the clock, but runs on the night's day
      expect(runs[1]?.summary.startedAtMillis).toBe(nextDay)
      expect(runs.map((r) => r?.runId.slice(0, "tenant-x-2026-03-02".length))).toEqual(["tenant-a-2026-03-02", "tenant-b-2026-03-02"])
      for (const [tenant, run] of [[a, runs[0]], [b, runs[1]]] as const) {
        expect((yield* World.storedRunOrThrow(tenant, run!.runId)).manifest.runDay).toBe("2026-03-02")
      }
      // the zone, not UTC, makes the day: the same instant is the 3rd in Singapore, the 2nd in UTC and Los Angeles
      const days = yield* Effect.forEach(["Asia/Singapore", "UTC", "America/Los_Angeles"], (timeZone) =>
        Effect.map(
          nightly({ timeZone, filter: { include: [a] }, tenant: { concurrency: 1, caps: World.caps, dryRun: true } }),
          (r) => [r.runDay, r.timeZone]
        ))
      expect(days).toEqual([
        ["2026-03-03", "Asia/Singapore"],
        ["2026-03-02", "UTC"],
        ["2026-03-02", "America/Los_Angeles"]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("runTenant runs one named tenant now, under its own cap, as a night of one; an unknown tenant or a held lock fails", () => {
    const world = World.make({ sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(early)
      yield* seedAll
      yield* (yield* Store.Store).forTenant(a).tenants.save({ name: a, dailyCap: 1 })
      const one = (tenantId: Tenant.TenantId, tenant?: Partial<Nightly.Options["tenant"]>) =>
        Nightly.runTenant({
          tenantId,
          dailyCap: 10,
          timeZone: "Asia/Singapore",
          tenant: { concurrency: 2, caps: World.caps, ...tenant }
        })

      const unknown = yield* Effect.flip(one(Tenant.TenantId.make("nobody")))
      expect([unknown._tag, unknown.message]).toEqual(["UnknownTenant", "no tenant \"nobody\""])

      const plan = yield* one(a, { dryRun: true })
      expect(plan.tenants.map((t) => (t._tag === "Ran" ? World.planned(t.result).targets.length : t._tag))).toEqual([1])

      const result = yield* one(a)
      expect([result.runDay, result.timeZone]).toEqual(["2026-03-02", "Asia/Singapore"])
      const [outcome] = result.tenants
      if (outcome?._tag !== "Ran") throw new Error("expected a run")
      expect(World.finished(outcome.result).summary.targets.total).toBe(1)
      expect(Nightly.exitCode(result)).toBe(0)

      const elsewhere = yield* Scope.make()
      yield* EnrichmentRun.lock(b).pipe(Scope.extend(elsewhere))
      expect((yield* Effect.flip(one(b)))._tag).toBe("RunInProgress")
      yield* Scope.close(elsewhere, Exit.void)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a tenant without an Odoo connection is active: it runs without its export step, and its companies succeed", () => {
    const world = World.make({ sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(early)
      yield* World.seed(a, domainsOf(a), "none")
      const result = yield* nightly()
      expect(result.tenants.map((t) => [t._tag, t.tenant.id])).toEqual([["Ran", a]])
      const [outcome] = result.tenants
      if (outcome?._tag !== "Ran") throw new Error("expected a run")
      const run = World.finished(outcome.result)
      expect([run.status, run.odooConnected, run.summary.targets.succeeded]).toEqual(["succeeded", false, 2])
      expect(World.stepOf(run, "export").skipped.disabled).toBe(2)
      expect(world.calls.total("odoo")).toBe(0)
      expect(Report.nightly(result)).toContain("no Odoo connection: the export step was left out")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a tenant with its own time zone takes its run day there, at the night's start", () => {
    const world = World.make({ sites })
    return Effect.gen(function*() {
      // 00:30 on 2 March in Singapore is 17:30 on 1 March in Berlin
      yield* TestClock.setTime(early)
      yield* seedAll
      yield* (yield* Store.Store).forTenant(b).tenants.save({ name: b, timeZone: "Europe/Berlin" })
      const result = yield* nightly()
      expect(result.runDay).toBe("2026-03-02")
      const days = result.tenants.map((t) => t._tag === "Ran" ? [t.tenant.id, World.finished(t.result).runId.slice(0, 19)] : [])
      expect(days).toEqual([[a, "tenant-a-2026-03-02"], [b, "tenant-b-2026-03-01"]])
      const runB = result.tenants[1]
      if (runB?._tag !== "Ran") throw new Error("expected a run")
      const stored = yield* World.storedRunOrThrow(b, World.finished(runB.result).runId)
      expect(stored.manifest.runDay).toBe("2026-03-01")
      expect(Nightly.dayOf({ timeZone: "Europe/Berlin" }, early, "Asia/Singapore")).toEqual({
        runDay: "2026-03-01",
        timeZone: "Europe/Berlin"
      })
      expect(Nightly.dayOf({ timeZone: null }, early, "Asia/Singapore").runDay).toBe("2026-03-02")
    }).pipe(Effect.provide(world.layer))
  })
})
