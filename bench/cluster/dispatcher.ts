/**
 * The dispatching process of a cluster benchmark trial: the world (fixture
 * web and fakes) in a worker thread, as in the pipeline bench; the trial's
 * schema migrated and seeded; then, on `Go`, one run in cluster mode
 * (`EnrichmentRun.run` with the cluster's dispatcher, as `leadgraph run
 * --cluster` does) on the scaled clock. Writes what it saw to a file for
 * the parent, and drops the trial's schemas on `Drop`.
 */
import { SqlClient } from "@effect/sql"
import { Cluster, CompanyEnrichmentEntity } from "@leadgraph/adapters"
import { FakeOdooServer } from "@leadgraph/adapters/testing"
import { type CompanyEnrichment, EnrichmentRun } from "@leadgraph/core"
import { Clock, Duration, Effect, Fiber, Layer, Logger, LogLevel } from "effect"
import { writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import * as ScaledClock from "../pipeline/ScaledClock.js"
import { runAs } from "../pipeline/SqlCounters.js"
import * as Threads from "../pipeline/Threads.js"
import * as WorldThread from "../pipeline/WorldThread.js"
import { odooSecret, runOptions, tenantId } from "../pipeline/benchTenant.js"
import { environment, processCpuMillis, receive, send, type Trial } from "./common.js"

let warningCount = 0
const warnings: Array<string> = []
const logger = Logger.make(({ logLevel, message }) => {
  if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
    warningCount++
    if (warnings.length < 5) warnings.push(`${logLevel.label}: ${String(Array.isArray(message) ? message[0] : message).slice(0, 200)}`)
  }
})

/** CPU of the Postgres backends serving this database, sampled so that backends which exit keep what they used. */
const postgresCpu = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const first = new Map<number, number>()
    const last = new Map<number, number>()
    const sample = (initial: boolean) =>
      Effect.gen(function*() {
        const rows = yield* sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.pipe(
          Effect.orElseSucceed(() => [])
        )
        for (const { pid } of rows) {
          const millis = processCpuMillis(Number(pid))
          if (millis === undefined) continue
          if (initial) first.set(Number(pid), millis)
          else if (!first.has(Number(pid))) first.set(Number(pid), 0)
          last.set(Number(pid), millis)
        }
      })
    yield* sample(true)
    const sampler = yield* Effect.forkScoped(Effect.forever(Effect.delay(sample(false), Duration.seconds(2))))
    const stop = Effect.gen(function*() {
      yield* sample(false)
      yield* Fiber.interrupt(sampler)
      let millis = 0
      for (const [pid, m] of last) millis += m - (first.get(pid) ?? 0)
      return { millis, backends: last.size }
    })
    return { stop }
  })

/** Runs the dispatcher of `trial`, writing its raw results to `out`. */
export const main = async (trial: Trial, out: string) => {
  process.env[odooSecret] = FakeOdooServer.defaults.password
  const scaled = ScaledClock.make(trial.factor, trial.origin)
  const program = Effect.scoped(Effect.gen(function*() {
    const { ready, worker } = yield* WorldThread.start({
      seed: trial.seed,
      companies: trial.companies,
      factor: trial.factor,
      origin: trial.origin,
      zbBatchesPerMinute: undefined,
      real: trial.real
    })
    const env = yield* Layer.build(environment(trial, WorldThread.vendorOptions(ready.urls, trial.real, undefined)))
    return yield* Effect.gen(function*() {
      yield* WorldThread.seedTenant(tenantId, ready, odooSecret)
      const sql = yield* SqlClient.SqlClient
      const cluster = yield* Layer.build(Cluster.layer({
        lease: Duration.seconds(trial.cluster.leaseSeconds),
        pollInterval: Duration.seconds(trial.cluster.pollSeconds)
      }))
      const inner = yield* CompanyEnrichmentEntity.dispatcher.pipe(Effect.provide(cluster))
      yield* send({ _tag: "Ready", urls: ready.urls, worldTid: ready.tid })
      yield* receive("Go")

      // every report's arrival, on the scaled clock, with progress to the parent every 5%
      const finishedAt: Array<number> = []
      // failed steps by step and code, as the workers reported them
      const failures: Record<string, number> = {}
      let wall0 = 0
      const step = Math.max(1, Math.round(trial.companies / 20))
      const dispatch: CompanyEnrichment.Dispatcher = {
        enrich: (job) =>
          inner.enrich(job).pipe(Effect.tap((report) =>
            Effect.sync(() => {
              for (const s of report.steps) {
                if (s.outcome !== "Failed") continue
                const key = `${s.step}: ${s.code ?? "unknown"}`
                failures[key] = (failures[key] ?? 0) + 1
              }
            })
          ), Effect.ensuring(Effect.flatMap(Clock.currentTimeMillis, (now) => {
            finishedAt.push(now)
            return finishedAt.length % step === 0 || finishedAt.length === trial.companies
              ? send({ _tag: "Progress", done: finishedAt.length, total: trial.companies, wallMillis: scaled.wallMillis() - wall0 })
              : Effect.void
          })))
      }
      const load0 = loadavg()
      const threads = Threads.start(ready.tid)
      const pg = yield* postgresCpu(sql)
      wall0 = scaled.wallMillis()
      const started = yield* Clock.currentTimeMillis
      const result = yield* EnrichmentRun.run({ ...runOptions(started, trial), dispatch })
      const ended = yield* Clock.currentTimeMillis
      const wallMillis = scaled.wallMillis() - wall0
      const threadCpu = threads.stop()
      const postgres = yield* pg.stop
      const load1 = loadavg()
      if (result._tag !== "Finished") return yield* Effect.dieMessage("not a run")
      const stats = yield* WorldThread.stats(worker)
      writeFileSync(out, JSON.stringify({
        trial,
        started,
        makespanMillis: ended - started,
        wallMillis,
        status: result.status,
        summary: result.summary,
        failures,
        budgets: result.budgets,
        finishedAt: finishedAt.map((t) => t - started),
        fakeCalls: stats.fakeCalls,
        served: stats.served,
        exported: stats.exported,
        crawlLog: stats.crawlLog.filter((e) => e.time >= started).map((e) => ({ ...e, time: e.time - started })),
        crawlDelayHosts: ready.companies.filter((c) => c.crawlDelay).map((c) => c.host),
        arrivals: Object.fromEntries(Object.entries(stats.arrivals).map(([v, xs]) => [v, xs.filter((x) => x.at >= started).map((x) => ({ endpoint: x.endpoint, at: x.at - started }))])),
        worldEventLoopUtilization: stats.eventLoopUtilization,
        cpu: threadCpu,
        postgres,
        cores: cpus().length,
        loadAverage: { start: load0, end: load1 },
        warningCount,
        warnings
      }))
      yield* send({ _tag: "Done", out })
      yield* receive("Drop")
      const cluster2 = Cluster.schemaOf(trial.schema)
      const migrationUrl = process.env.MIGRATION_DATABASE_URL
      for (const schema of [trial.schema, cluster2]) {
        const drop = `DROP SCHEMA IF EXISTS ${schema} CASCADE`
        if (migrationUrl === undefined || migrationUrl === "") yield* sql.unsafe(drop).pipe(Effect.ignore)
        else yield* Effect.tryPromise(() => runAs(migrationUrl, drop)).pipe(Effect.ignore)
      }
    }).pipe(Effect.provide(env))
  }))
  await Effect.runPromise(program.pipe(
    Effect.withClock(scaled.clock),
    Effect.provide(Logger.replace(Logger.defaultLogger, logger))
  ))
}
