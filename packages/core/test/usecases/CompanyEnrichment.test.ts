/**
 * A run that hands its companies to a dispatcher (here: core's worker in
 * the same process, through the job and report schemas, as a cluster would
 * carry them) records what an in-process run records: the same summary,
 * outcomes, calls and budgets. A job whose dispatch fails ends its company
 * `failed` with the job's failure code; a job run again (its worker died)
 * restores from the first attempt's checkpoints.
 */
import { describe, expect, it } from "@effect/vitest"
import { CompanyEnrichment, EnrichmentRun, type Run, Store, Tenant } from "@leadgraph/core"
import { Effect, Schema } from "effect"
import * as World from "./world.js"

const tenantId = Tenant.TenantId.make("acme")

/** A dispatcher over the worker, each job and report encoded and decoded as on the wire. */
const overTheWire = (worker: (job: CompanyEnrichment.Job) => Effect.Effect<CompanyEnrichment.Report, CompanyEnrichment.EnrichFailed>) =>
  ({
    enrich: (job) =>
      Schema.encode(CompanyEnrichment.Job)(job).pipe(
        Effect.flatMap(Schema.decodeUnknown(CompanyEnrichment.Job)),
        Effect.orDie,
        Effect.flatMap(worker),
        Effect.flatMap((r) => Effect.orDie(Effect.flatMap(Schema.encode(CompanyEnrichment.Report)(r), Schema.decodeUnknown(CompanyEnrichment.Report))))
      )
  }) satisfies CompanyEnrichment.Dispatcher

const storedOutcomes = (runId: string) =>
  Effect.flatMap(Store.Store, (store) => store.forTenant(tenantId).runs.outcomes(runId as Run.RunId))

const inProcess = Effect.gen(function*() {
  const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-local" })))
  return run
})

describe("CompanyEnrichment", () => {
  it.scoped("a dispatched run records what an in-process run records", () => {
    const local = World.make({ sites: World.sites })
    const remote = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      const expected = yield* Effect.gen(function*() {
        yield* World.seed(tenantId, World.domains)
        const run = yield* inProcess
        return { run, calls: local.calls.snapshot(), outcomes: yield* storedOutcomes("acme-local") }
      }).pipe(Effect.provide(local.layer))

      const actual = yield* Effect.gen(function*() {
        yield* World.seed(tenantId, World.domains)
        const worker = yield* CompanyEnrichment.makeWorker()
        const run = World.finished(
          yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-local", dispatch: overTheWire(worker) }))
        )
        return { run, calls: remote.calls.snapshot(), outcomes: yield* storedOutcomes("acme-local") }
      }).pipe(Effect.provide(remote.layer))

      expect(actual.run.status).toBe(expected.run.status)
      expect(actual.run.summary.targets).toEqual(expected.run.summary.targets)
      expect(actual.run.summary.budgets).toEqual(expected.run.summary.budgets)
      expect(actual.run.summary.steps.map(({ budgetUnits, executed, failed, restored, skipped, step, succeeded }) => ({
        budgetUnits, executed, failed, restored, skipped, step, succeeded
      }))).toEqual(expected.run.summary.steps.map(({ budgetUnits, executed, failed, restored, skipped, step, succeeded }) => ({
        budgetUnits, executed, failed, restored, skipped, step, succeeded
      })))
      expect(actual.run.budgets).toEqual(expected.run.budgets)
      // a worker connects to the tenant's Odoo once per run it has companies of, as a run does
      expect(actual.calls).toEqual(expected.calls)
      // each step's status, reason and paid calls, and the score the run gave, as an in-process run records them
      const shape = (os: typeof expected.outcomes) =>
        os.map((o) => ({
          companyId: o.companyId,
          status: o.status,
          score: o.score,
          steps: Object.fromEntries(
            Object.entries(o.steps).map(([name, { calls, reason, status }]) => [name, { calls, reason, status }])
          )
        })).sort((a, b) => a.companyId < b.companyId ? -1 : 1)
      expect(shape(expected.outcomes).some((o) => o.score !== undefined)).toBe(true)
      expect(shape(expected.outcomes).some((o) => Object.values(o.steps).some((s) => (s.calls ?? 0) > 0))).toBe(true)
      expect(shape(actual.outcomes)).toEqual(shape(expected.outcomes))
    })
  })

  it.scoped("a job whose dispatch fails ends its company failed, with the job's failure code", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* World.seed(tenantId, World.domains)
      const worker = yield* CompanyEnrichment.makeWorker()
      const [refused] = yield* World.companiesOf(tenantId, ["beta.example"])
      const dispatch: CompanyEnrichment.Dispatcher = {
        enrich: (job) =>
          job.companyId === refused!.id
            ? Effect.fail(new CompanyEnrichment.EnrichFailed({ companyId: job.companyId, reason: "Cluster", detail: "MailboxFull" }))
            : worker(job)
      }
      const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-refused", dispatch })))
      expect(run.summary.targets).toEqual({ total: 3, succeeded: 2, partial: 0, failed: 1 })
      expect(run.status).toBe("partial")
      expect(run.failures?.map((f) => f.code)).toEqual(["cluster.Cluster"])
      const outcomes = yield* storedOutcomes("acme-refused")
      const failed = outcomes.find((o) => o.companyId === refused!.id)!
      expect(failed.status).toBe("failed")
      expect(failed.steps["crawl"]).toMatchObject({ status: "failed", reason: "cluster.Cluster: MailboxFull" })
    }).pipe(Effect.provide(world.layer))
  })

  it.scoped("a job run again restores every step from the first attempt's checkpoints", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* World.seed(tenantId, World.domains)
      const worker = yield* CompanyEnrichment.makeWorker()
      const [alpha] = yield* World.companiesOf(tenantId, ["alpha.example"])
      // the run's manifest, as a run in cluster mode writes it before it hands out its companies
      yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-again", only: ["crawl"] }))
      const job: CompanyEnrichment.Job = { ...CompanyEnrichment.jobOf(World.options(tenantId), "acme-again"), companyId: alpha!.id }
      const first = yield* worker(job)
      const callsAfterFirst = world.calls.snapshot()
      const second = yield* worker(job)
      expect(first.state).toBe("succeeded")
      expect(second.state).toBe("succeeded")
      expect(second.steps.filter((s) => s.outcome === "Succeeded").every((s) => s.restored === true)).toBe(true)
      expect(world.calls.snapshot()).toEqual(callsAfterFirst)
      expect(CompanyEnrichment.toResult("acme-again", alpha!, second).outcomes.crawl).toMatchObject({
        _tag: "Succeeded",
        restored: true
      })
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("an unknown company is refused with reason UnknownCompany", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      const worker = yield* CompanyEnrichment.makeWorker()
      const error = yield* Effect.flip(worker({
        ...CompanyEnrichment.jobOf(World.options(tenantId), "acme-x"),
        companyId: "00000000-0000-4000-8000-000000000000" as CompanyEnrichment.Job["companyId"]
      }))
      expect(error).toMatchObject({ _tag: "EnrichFailed", reason: "UnknownCompany" })
      expect(error.message).toContain("00000000-0000-4000-8000-000000000000")
    }).pipe(Effect.scoped, Effect.provide(world.layer))
  })
})
