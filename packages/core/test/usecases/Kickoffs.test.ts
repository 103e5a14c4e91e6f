/**
 * Runs started on demand, launched as `EnrichmentRun.run` over the memory
 * store and the port doubles: `start` answers the run's id at once; a
 * second start of the tenant while it runs is refused with that id (or
 * without one when another holder has the run lock); `get` shows the
 * progress, then the summary; `recorded` reads a run from the store.
 */
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, Kickoffs, Store, Tenant } from "@leadgraph/core"
import type { Context } from "effect"
import { Deferred, Effect, Exit, Layer, Option, Scope, TestClock } from "effect"
import * as World from "./world.js"

const tenantId = Tenant.TenantId.make("acme")
const timeZone = "Asia/Singapore"

/** Polls `get` (yielding to the run's fibers, no clock) until `done` holds. */
const eventually = <A>(get: Effect.Effect<A>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      const a = yield* get
      if (done(a)) return a
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage("the condition never held")
  })

/** Kickoffs whose launches run `EnrichmentRun.run` in `context`; `known` completes with the run's target count. */
const kickoffs = (context: Context.Context<EnrichmentRun.Requirements>, known: Deferred.Deferred<number>) =>
  Kickoffs.make({
    timeZone,
    launch: (input) =>
      EnrichmentRun.run({
        ...World.options(input.tenantId),
        runId: input.runId,
        runDay: input.runDay,
        timeZone: input.timeZone,
        limit: input.limit,
        rerun: input.rerun,
        lock: input.lock,
        sinks: [input.sink],
        onTargets: (count) => Effect.zipRight(input.onTargets(count), Deferred.succeed(known, count))
      }).pipe(Effect.provide(context))
  }).pipe(Effect.provide(context))

describe("Kickoffs", () => {
  it.scoped("start answers a run id; a second start while it runs is AlreadyRunning with that id; get shows progress, then the summary", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const world = World.make({ sites: World.sites, beforeCrawl: () => Deferred.await(gate) })
      yield* TestClock.setTime(World.noon)
      const context = yield* Layer.build(world.layer)
      yield* World.seed(tenantId, World.domains).pipe(Effect.provide(context))
      const known = yield* Deferred.make<number>()
      const service = yield* kickoffs(context, known)

      const runId = yield* service.start(tenantId)
      expect(runId).toMatch(/^acme-2026-03-02-[0-9a-z]{6}$/)
      expect(yield* Deferred.await(known)).toBe(3)

      // the crawls wait at the gate: the run goes, none of its companies is done
      const going = Option.getOrThrow(yield* service.get(runId))
      expect(going).toEqual({
        id: runId,
        tenantId,
        status: "running",
        startedAt: "2026-03-02T04:00:00.000Z",
        finishedAt: null,
        progress: { total: 3, done: 0 },
        summary: null,
        error: null
      })
      expect(yield* Effect.flip(service.start(tenantId))).toEqual({ _tag: "AlreadyRunning", runId })
      expect(yield* Effect.flip(service.start(tenantId, { rerun: true }))).toEqual({ _tag: "AlreadyRunning", runId })
      expect(yield* service.get("acme-unknown")).toEqual(Option.none())

      yield* Deferred.succeed(gate, undefined)
      const ended = yield* eventually(Effect.map(service.get(runId), Option.getOrThrow), (s) => s.status !== "running")
      expect(ended).toMatchObject({
        id: runId,
        status: "succeeded",
        finishedAt: "2026-03-02T04:00:00.000Z",
        progress: { total: 3, done: 3 },
        error: null
      })
      expect(ended.summary?.targets).toEqual({ total: 3, succeeded: 3, partial: 0, failed: 0 })
      expect(ended.summary?.steps["crawl"]).toEqual({ succeeded: 3, skipped: 0, failed: 0 })
      expect(ended.summary?.steps["export"]).toEqual({ succeeded: 3, skipped: 0, failed: 0 })
      // the run was recorded under the id the kickoff answered
      const stored = yield* World.storedRunOrThrow(tenantId, runId).pipe(Effect.provide(context))
      expect([stored.status, stored.manifest.runDay]).toEqual(["succeeded", "2026-03-02"])
      expect(world.calls.of("crawler.crawl")).toBe(3)
      // as another process reads it: from the store, through the tenant its id begins with
      const store = yield* Effect.provide(Store.Store, context)
      expect(Option.getOrThrow(yield* Kickoffs.recorded(store, runId))).toMatchObject({
        id: runId,
        tenantId,
        status: "succeeded",
        startedAt: "2026-03-02T04:00:00.000Z",
        finishedAt: "2026-03-02T04:00:00.000Z",
        progress: { total: 3, done: 3 },
        summary: { targets: { succeeded: 3, total: 3 }, steps: { crawl: { succeeded: 3, skipped: 0, failed: 0 } } },
        error: null
      })
      for (const unknown of ["acme-unknown", "acme-2026-03-02-zzzzzz", "-2026-03-02-abc"]) {
        expect(yield* Kickoffs.recorded(store, unknown)).toEqual(Option.none())
      }

      // the lock went with the run: the tenant may start again
      const next = yield* service.start(tenantId, { rerun: true, limit: 1 })
      expect(next).not.toBe(runId)
      const rerun = yield* eventually(Effect.map(service.get(next), Option.getOrThrow), (s) => s.status !== "running")
      expect(rerun).toMatchObject({ status: "succeeded", progress: { total: 1, done: 1 } })
    }))

  it.scoped("a tenant whose run lock is held elsewhere is AlreadyRunning without an id, and nothing is launched", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      const context = yield* Layer.build(world.layer)
      yield* World.seed(tenantId, World.domains).pipe(Effect.provide(context))
      const elsewhere = yield* Scope.make()
      yield* EnrichmentRun.lock(tenantId).pipe(Scope.extend(elsewhere), Effect.provide(context))
      let launched = 0
      const service = yield* Kickoffs.make({
        timeZone,
        launch: () => Effect.dieMessage(`launched ${++launched}`)
      }).pipe(Effect.provide(context))
      expect(yield* Effect.flip(service.start(tenantId))).toEqual({ _tag: "AlreadyRunning", runId: undefined })
      expect(launched).toBe(0)
      expect(world.calls.snapshot()).toEqual({})
      yield* Scope.close(elsewhere, Exit.void)
    })
  })

  it.scoped("a run that fails ends failed, with its error", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      const context = yield* Layer.build(world.layer)
      yield* World.seed(tenantId, World.domains).pipe(Effect.provide(context))
      const service = yield* Kickoffs.make({
        timeZone,
        // an unknown step name: the run fails before it records anything
        launch: (input) =>
          EnrichmentRun.run({ ...World.options(input.tenantId), runId: input.runId, lock: input.lock, only: ["nope"] }).pipe(
            Effect.provide(context)
          )
      }).pipe(Effect.provide(context))
      const runId = yield* service.start(tenantId)
      const ended = yield* eventually(Effect.map(service.get(runId), Option.getOrThrow), (s) => s.status !== "running")
      expect(ended).toMatchObject({ status: "failed", summary: null, progress: { total: null, done: 0 } })
      expect(ended.error).toMatch(/nope/)
      expect(world.calls.snapshot()).toEqual({})
      // its lock is free again
      expect(yield* Effect.scoped(EnrichmentRun.lock(tenantId)).pipe(Effect.provide(context))).toEqual({ _tag: "RunLock", tenantId })
    })
  })

  it("Tenant.leftOutBy: exclude wins over include; an empty include means every tenant", () => {
    const [a, b] = [Tenant.TenantId.make("a"), Tenant.TenantId.make("b")]
    expect(Tenant.leftOutBy(undefined, a)).toBeUndefined()
    expect(Tenant.leftOutBy({ include: [], exclude: [] }, a)).toBeUndefined()
    expect(Tenant.leftOutBy({ include: [a] }, b)).toBe("notIncluded")
    expect(Tenant.leftOutBy({ include: [a], exclude: [a] }, a)).toBe("excluded")
    expect(Tenant.leftOutBy({ exclude: [b] }, a)).toBeUndefined()
  })

  it.scoped("startAll starts the active tenants the filter lets through and lists the others with the reason", () =>
    Effect.gen(function*() {
      const world = World.make({ sites: World.sites })
      yield* TestClock.setTime(World.noon)
      const context = yield* Layer.build(world.layer)
      const [a, b, c, idle] = ["a", "b", "c", "idle"].map((id) => Tenant.TenantId.make(id)) as [Tenant.TenantId, Tenant.TenantId, Tenant.TenantId, Tenant.TenantId]
      for (const id of [a, b, c]) yield* World.seed(id, World.domains).pipe(Effect.provide(context))
      yield* World.seed(idle, World.domains, "inactive").pipe(Effect.provide(context))
      const service = yield* kickoffs(context, yield* Deferred.make<number>())
      const started = yield* service.startAll({ filter: { include: [a, c], exclude: [c] } })
      expect(started.runs.map((r) => r.tenantId)).toEqual([a])
      expect(started.alreadyRunning).toEqual([])
      // a tenant without an active Odoo connection is active too (it runs without its export step)
      expect(started.skipped).toEqual([
        { tenantId: b, reason: "notIncluded" },
        { tenantId: c, reason: "excluded" },
        { tenantId: idle, reason: "notIncluded" }
      ])
    }))
})
