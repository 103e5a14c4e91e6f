/**
 * `npm run bench -- pipeline`: the whole enrichment pipeline for 1,000
 * companies of one tenant, over the fixture sites and the five fake vendors
 * on 127.0.0.1 with realistic latencies and rate limits ({@link real}), time
 * scaled by one factor (see below for why not "a minute here").
 *
 * Time scaling: the run's `Clock` goes `factor` times faster than the wall
 * clock (bench/pipeline/ScaledClock.ts), so every latency, rate-limit
 * interval, Crawl-delay, politeness gap, timeout and back-off is divided by
 * the factor, and every duration read through `Clock` (the makespan, the
 * per-step p50/p90) is already at real scale (= wall time x factor).
 *
 * Each run is a fresh child process with its own seed: the runner's code
 * (engine, adapters, in-memory PGlite, or Postgres) in its main thread, the
 * fixture web and the fakes in a worker thread (bench/pipeline/world.ts),
 * as remote vendors would not share the runner's CPU. The client-side rate
 * limits are set to the vendors' limits without bursts, so the client waits
 * instead of drawing 429s. The environment is `Environment.layer`'s, with an
 * HTTP client that records every vendor call.
 *
 * Reported per run: the makespan at real scale, the lower bound the rate limits and the per-company critical path impose, their
 * ratio (goal <= 1.15), p50/p90 per step, vendor calls (and 429s), and what
 * could be the bottleneck: each vendor's achieved rate against its limit,
 * PGlite busy time and the event loop's utilisation. Over all runs: the p90
 * makespan (goal: far under 90 minutes). Results go to bench/results/.
 *
 * CPU is reported per company and per thread, from
 * /proc/self/task/<tid>/stat at the start and end of the run (Node 20 has
 * no `process.threadCpuUsage`; bench/pipeline/Threads.ts): the main thread
 * (the runner: engine, store and, on PGlite, the database itself, vendor
 * HTTP clients, crawler fetches), the world's thread, the crawler's parse
 * workers (recognised by the tid each reports as it boots), and the rest
 * (V8's GC and compiler helpers, libuv's pool: the process total less the
 * other three), beside the core count and the load average, since other
 * processes share the cores and inflate CPU times too. Goal for the main
 * thread: <= 50 ms per company on Postgres, <= 80 ms on PGlite.
 *
 * Why the default factor is only 2: time scaling shrinks waiting, not CPU
 * work. In December 2026 on 2 cores a run spent about 140 ms (Postgres) to
 * 170 ms (PGlite) of CPU per company, all threads together: the main thread
 * about 75 ms on Postgres and 100 ms on PGlite (about 105 SQL statements in
 * 24 transactions per company; PGlite runs them in this thread), the
 * world's thread about 40 ms, the parse workers 3 ms, the helpers about 20
 * ms. The main thread is one core: its 75 to 100 s for 1,000 companies
 * whatever the factor are 2.5 to 3.3 minutes at real scale under factor 2,
 * but 5 to 6.7 minutes under factor 4, as much as the rate limits impose
 * (Lusha's 300 a minute: 6.7 minutes), so the run would measure the CPU
 * instead of the pipeline. Each run reports both floors (process CPU x
 * factor, which can exceed the makespan as threads overlap, and main-thread
 * CPU x factor) so that this stays visible.
 *
 * Options: `--runs N` (5), `--companies N` (1000), `--factor F` (2),
 * `--concurrency N` (SCHED_COMPANY_CONCURRENCY, 200), `--seed S` (first
 * seed, 1), `--zb-batches-per-minute N` (ZeroBounce `validatebatch` limit:
 * none by default; its documented limit is 5, or 20, per minute), `--db
 * pglite|postgres` (pglite; postgres needs DATABASE_URL, and
 * MIGRATION_DATABASE_URL where the store migrates as another role than it
 * runs as), `--quick` (100
 * companies, 1 run).
 *
 * Diagnostics (each slows the run; its CPU figures are not comparable):
 * `--cpu-profile FILE` writes the main thread's CPU profile over the run
 * (sum it up with bench/pipeline/profile.ts), `--heap-profile FILE` its
 * sampled allocations, `--count` (or `--count detail`) counts spans, fibers
 * and Effect operations per company by span (bench/pipeline/Counters.ts).
 * bench/pipeline/sqlcost.ts measures what one statement and one tenant
 * transaction cost the main thread.
 */
import { spawn } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { performance } from "node:perf_hooks"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { CrawlerLive, Database, Resolver, StoreLive, TenantServicesLive, Vendors } from "@leadgraph/adapters"
import { FakeOdooServer } from "@leadgraph/adapters/testing"
import { EnrichmentRun, Events, RunSummary } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"
import { Clock, ConfigProvider, Duration, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { arg, argv, num, quick } from "./pipeline/args.js"
import { caps, odooSecret, runOptions, tenantId } from "./pipeline/benchTenant.js"
import * as Counters from "./pipeline/Counters.js"
import * as Profilers from "./pipeline/Profilers.js"
import * as ScaledClock from "./pipeline/ScaledClock.js"
import { patchPg, patchPglite, pgliteBusy, runAs, sqlCount, sqlTexts } from "./pipeline/SqlCounters.js"
import * as Threads from "./pipeline/Threads.js"
import * as WorldThread from "./pipeline/WorldThread.js"
import { lowerBound as boundOf, real } from "./pipeline/bounds.js"

// ---------------------------------------------------------------- parameters

interface RunOptions {
  readonly seed: number
  readonly companies: number
  readonly factor: number
  readonly concurrency: number
  readonly zbBatchesPerMinute: number | undefined
  readonly db: "pglite" | "postgres"
  /** Where to write a CPU profile of the main thread over the run (`--cpu-profile FILE`). */
  readonly cpuProfile?: string | undefined
  /** Where to write a sampled allocation profile of the main thread over the run (`--heap-profile FILE`). */
  readonly heapProfile?: string | undefined
  /** Count spans, fibers and Effect operations (`--count`, or `--count detail` for the functions run; slows the run). */
  readonly count?: "spans" | "detail" | undefined
}

// ---------------------------------------------------------------- one run (child process)

interface HttpCall {
  readonly vendor: string
  readonly path: string
  readonly start: number
  readonly status: number
}

const runOnce = (o: RunOptions, scaled: ScaledClock.ScaledClock, origin: number) =>
  Effect.gen(function*() {
    const { ready, worker } = yield* WorldThread.start({
      seed: o.seed,
      companies: o.companies,
      factor: o.factor,
      origin,
      zbBatchesPerMinute: o.zbBatchesPerMinute,
      real
    })
    const vendors = WorldThread.vendorOptions(ready.urls, real, o.zbBatchesPerMinute)
    const vendorOfPort = new Map<string, string>([
      [new URL(ready.urls.tavily).port, "tavily"],
      [new URL(ready.urls.lusha).port, "lusha"],
      [new URL(ready.urls.zeroBounce).port, "zerobounce"],
      [new URL(ready.urls.odoo).port, "odoo"],
      [new URL(ready.urls.openAi).port, "openai"]
    ])

    // Environment.layer, with an HTTP client that records every vendor call.
    const httpCalls: Array<HttpCall> = []
    const recordingHttp = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (client) =>
        HttpClient.transform(client, (response, request) =>
          Effect.flatMap(Clock.currentTimeMillis, (start) => {
            const url = new URL(request.url)
            const vendor = vendorOfPort.get(url.port) ?? "other"
            return Effect.tap(response, (r) => Effect.sync(() => httpCalls.push({ vendor, path: url.pathname, start, status: r.status })))
          })))
    ).pipe(Layer.provide(NodeHttpClient.layerUndici))
    // the owner's URL, where the store has one role to migrate and another to run as
    const migrationUrl = process.env.MIGRATION_DATABASE_URL
    const owner = migrationUrl === undefined ? {} : { migrationUrl: Redacted.make(migrationUrl) }
    const schema = `lg_bench_pipeline_${o.seed}_${Date.now().toString(36)}`
    const database = o.db === "postgres"
      ? Database.layerUrl({ url: Redacted.make(process.env.DATABASE_URL ?? ""), schema, ...owner })
      : Database.layerEmbedded({ dataDir: "memory://" })
    const store = StoreLive.layer().pipe(Layer.provideMerge(database))
    const perTenant = TenantServicesLive.layer({ caps, timeZone: Settings.defaults.schedule.timeZone })
    const vendorLayer = Layer.merge(Vendors.connector(vendors), perTenant)
    const crawler = CrawlerLive.layer({
      allowAddresses: ["127.0.0.1/32"],
      defaultScheme: "http",
      minDelay: Duration.millis(real.crawl.minDelayMillis)
    }).pipe(Layer.provide(Resolver.layerStatic({ "*.test": "127.0.0.1" })))
    const odoo = Vendors.layerOdoo({ rateLimit: { limit: real.odoo.clientPerSecond, interval: "1 second" } })
    const environment = Layer.mergeAll(vendorLayer, crawler, odoo).pipe(
      Layer.provideMerge(recordingHttp),
      Layer.provideMerge(store)
    )

    return yield* Effect.gen(function*() {
      yield* WorldThread.seedTenant(tenantId, ready, odooSecret)

      const finishedAt: Array<number> = []
      const failures: Record<string, number> = {}
      const sink: Events.Sink = (event) => {
        if (event._tag === "TargetFinished") {
          return Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void finishedAt.push(now)))
        }
        if (event._tag === "StepFinished" && event.outcome === "Failed") {
          const reason = (event.error as { readonly reason?: unknown } | null)?.reason
          const text = EnrichmentRun.errorText(event.error).replace(/https?:\/\/\S+/g, "<url>").slice(0, 100)
          const key = `${event.step}: ${typeof reason === "string" ? `[${reason}] ` : ""}${text}`
          failures[key] = (failures[key] ?? 0) + 1
        }
        return Effect.void
      }
      const elu0 = performance.eventLoopUtilization()
      const busy0 = pgliteBusy.millis
      const counts0 = Counters.snapshot()
      const threads = Threads.start(ready.tid)
      const profiler = o.cpuProfile === undefined ? undefined : yield* Profilers.cpu
      const heapProfiler = o.heapProfile === undefined ? undefined : yield* Profilers.heap
      const load0 = loadavg()[0]!
      const sql0 = { ...sqlCount }
      const texts0 = new Map(sqlTexts)
      const wall0 = scaled.wallMillis()
      const started = yield* Clock.currentTimeMillis
      const result = yield* EnrichmentRun.run({ ...runOptions(started, o), sinks: [sink] })
      const ended = yield* Clock.currentTimeMillis
      const wall = scaled.wallMillis() - wall0
      const elu = performance.eventLoopUtilization(elu0)
      const busy = pgliteBusy.millis - busy0
      const threadCpu = threads.stop()
      const counts = o.count === undefined ? undefined : Counters.since(counts0, o.companies)
      if (profiler !== undefined) yield* profiler.stop(o.cpuProfile!)
      if (heapProfiler !== undefined) yield* heapProfiler.stop(o.heapProfile!)
      const sql = {
        statements: sqlCount.statements - sql0.statements,
        transactions: sqlCount.transactions - sql0.transactions,
        /** The most frequent statements of the run, by count. */
        top: [...sqlTexts].map(([text, n]) => ({ text, count: n - (texts0.get(text) ?? 0) }))
          .filter((x) => x.count > 0).sort((a, b) => b.count - a.count).slice(0, 30)
      }
      if (result._tag !== "Finished") return yield* Effect.dieMessage("not a run")

      const stats = yield* WorldThread.stats(worker)
      if (o.db === "postgres") {
        const drop = `DROP SCHEMA ${schema} CASCADE`
        if (migrationUrl === undefined) yield* (yield* SqlClient.SqlClient).unsafe(drop)
        else yield* Effect.promise(() => runAs(migrationUrl, drop))
      }
      return {
        options: o,
        started,
        makespanMillis: ended - started,
        wallMillis: wall,
        summary: result.summary,
        status: result.status,
        budgets: result.budgets,
        finishedAt: finishedAt.map((t) => t - started),
        failures,
        httpCalls: httpCalls.filter((c) => c.start >= started).map((c) => ({ ...c, start: c.start - started })),
        crawlLog: stats.crawlLog.filter((e) => e.time >= started).map((e) => ({ ...e, time: e.time - started })),
        crawlDelayHosts: ready.companies.filter((c) => c.crawlDelay).map((c) => c.host),
        fakeCalls: stats.fakeCalls,
        served: stats.served,
        odooMethods: stats.odooMethods,
        exported: stats.exported,
        worldEventLoopUtilization: stats.eventLoopUtilization,
        eventLoopUtilization: elu.utilization,
        cpuMillis: threadCpu.totalMillis,
        threadCpu,
        counts,
        /** The machine's 1-minute load average at the start and the end of the run (other processes compete for its cores). */
        loadAverage: [load0, loadavg()[0]!],
        cores: cpus().length,
        sql,
        pgliteBusyMillis: busy,
        pgliteStatements: pgliteBusy.calls
      }
    }).pipe(
      Effect.provide(environment),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([[odooSecret, FakeOdooServer.defaults.password]])))
    )
  }).pipe(Effect.scoped)

type RawRun = Effect.Effect.Success<ReturnType<typeof runOnce>>

const warnings: Array<string> = []
let warningCount = 0
const countingLogger = Logger.make(({ logLevel, message }) => {
  if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
    warningCount++
    if (warnings.length < 8) warnings.push(`${logLevel.label}: ${String(Array.isArray(message) ? message[0] : message).slice(0, 200)}`)
  }
})

const child = async () => {
  const o: RunOptions = JSON.parse(arg("child")!)
  const out = arg("out")!
  patchPglite()
  patchPg()
  Threads.tagParseWorkers()
  const origin = performance.timeOrigin + performance.now()
  const scaled = ScaledClock.make(o.factor, origin)
  const raw = await Effect.runPromise(
    runOnce(o, scaled, origin).pipe(
      (self) => o.count === undefined ? self : Counters.counted(self, o.count === "detail"),
      Effect.withClock(scaled.clock),
      Effect.provide(Logger.replace(Logger.defaultLogger, countingLogger))
    )
  )
  writeFileSync(out, JSON.stringify({ ...raw, warningCount, warnings }))
}

// ---------------------------------------------------------------- analysis

const minute = 60_000
const sortNum = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
const q = (xs: ReadonlyArray<number>, p: number) => RunSummary.quantile(sortNum(xs), p)
const count = (calls: Readonly<Record<string, number>>) => Object.values(calls).reduce((a, b) => a + b, 0)

const analyse = (r: RawRun & { warningCount: number; warnings: Array<string> }) => {
  const byVendor = (v: string) => r.httpCalls.filter((c) => c.vendor === v)
  const vendorCalls = {
    tavily: count(r.fakeCalls.tavily),
    lusha: count(r.fakeCalls.lusha),
    zerobounce: count(r.fakeCalls.zerobounce),
    openai: count(r.fakeCalls.openai),
    odoo: count(r.fakeCalls.odoo)
  }
  const rejected429 = Object.fromEntries(
    ["tavily", "lusha", "zerobounce", "odoo"].map((v) => [v, byVendor(v).filter((c) => c.status === 429).length])
  )
  rejected429.openai = vendorCalls.openai - r.served.completions
  const { lowerBoundMillis: lowerBound, binding, bounds, boundWithTailMillis, criticalPath } = boundOf(real, {
    vendorCalls,
    crawlLog: r.crawlLog,
    crawlDelayHosts: r.crawlDelayHosts,
    zbBatchesPerMinute: r.options.zbBatchesPerMinute
  })
  // What each limited vendor achieved: calls per minute between its first and last call.
  const achieved = Object.fromEntries(["tavily", "lusha", "odoo", "zerobounce"].map((v) => {
    const starts = byVendor(v).map((c) => c.start)
    if (starts.length < 2) return [v, null]
    const span = Math.max(...starts) - Math.min(...starts)
    return [v, { calls: starts.length, firstMillis: Math.min(...starts), lastMillis: Math.max(...starts), perMinute: ((starts.length - 1) / span) * minute }]
  }))
  const steps = r.summary.steps.map((s) => ({
    step: s.step,
    succeeded: s.succeeded,
    failed: s.failed,
    skipped: Object.values(s.skipped).reduce((a, b) => a + b, 0),
    p50Millis: s.p50Millis,
    p90Millis: s.p90Millis,
    maxMillis: s.maxMillis
  }))
  return {
    seed: r.options.seed,
    companies: r.options.companies,
    factor: r.options.factor,
    concurrency: r.options.concurrency,
    status: r.status,
    targets: r.summary.targets,
    makespanMillis: r.makespanMillis,
    wallMillis: r.wallMillis,
    lowerBoundMillis: lowerBound,
    binding,
    ratio: r.makespanMillis / lowerBound,
    bounds,
    boundWithTailMillis,
    criticalPath,
    completion: {
      p50Millis: q(r.finishedAt, 0.5),
      p90Millis: q(r.finishedAt, 0.9),
      lastMillis: Math.max(...r.finishedAt)
    },
    steps,
    vendorCalls,
    fakeCalls: r.fakeCalls,
    odooMethods: r.odooMethods,
    llm: r.served,
    crawlRequests: r.crawlLog.length,
    rejected429,
    achieved,
    exported: r.exported,
    budgets: r.budgets,
    eventLoopUtilization: r.eventLoopUtilization,
    worldEventLoopUtilization: r.worldEventLoopUtilization,
    machine: { cores: r.cores, loadAverage: r.loadAverage },
    cpu: {
      millis: r.cpuMillis,
      perCompanyMillis: r.cpuMillis / r.options.companies,
      shareOfWall: r.cpuMillis / r.wallMillis,
      /** The makespan CPU alone imposes at real scale: time scaling does not shrink CPU work. */
      realScaleFloorMillis: r.cpuMillis * r.options.factor,
      /**
       * The same CPU split by thread (from /proc/self/task/<tid>/stat): the main
       * thread (the runner: engine, store, PGlite, vendor clients, crawler fetches),
       * the world's thread (fixture web and fakes), the crawler's parse workers, and
       * the rest (V8 and libuv helpers: total less the other three).
       */
      byThread: Object.fromEntries(
        ([["main", r.threadCpu.mainMillis], ["world", r.threadCpu.worldMillis], ["parseWorkers", r.threadCpu.parseWorkersMillis], [
          "other",
          r.threadCpu.otherMillis
        ]] as const).map(([k, v]) => [k, { millis: v, perCompanyMillis: v / r.options.companies }])
      ) as Record<"main" | "world" | "parseWorkers" | "other", { readonly millis: number; readonly perCompanyMillis: number }>,
      parseWorkerThreads: r.threadCpu.parseWorkers,
      /** The makespan the main thread alone imposes at real scale (it runs on one core). */
      mainRealScaleFloorMillis: r.threadCpu.mainMillis * r.options.factor,
      /** The goal for the main thread: <= 50 ms per company on Postgres, <= 80 on PGlite (which runs in it). */
      mainGoalPerCompanyMillis: r.options.db === "postgres" ? 50 : 80,
      threads: r.threadCpu.threads,
      ticksPerSecond: r.threadCpu.ticksPerSecond
    },
    sql: { ...r.sql, top: r.sql.top.map((x) => ({ ...x, perCompany: x.count / r.options.companies })), perCompany: r.sql.statements / r.options.companies, transactionsPerCompany: r.sql.transactions / r.options.companies },
    pglite: r.options.db === "pglite"
      ? { busyMillisWall: r.pgliteBusyMillis, busyShareOfWall: r.pgliteBusyMillis / r.wallMillis, statements: r.pgliteStatements }
      : null,
    failures: r.failures,
    /** With `--count`: spans, fibers and Effect operations per company over the run, by span. */
    counts: r.counts,
    warningCount: r.warningCount,
    warnings: r.warnings
  }
}

type Analysed = ReturnType<typeof analyse>

// ---------------------------------------------------------------- parent

const runChild = (o: RunOptions): Promise<Analysed> =>
  new Promise((resolve, reject) => {
    const out = join(tmpdir(), `lg-bench-pipeline-${process.pid}-${o.seed}.json`)
    const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", JSON.stringify(o), "--out", out], {
      stdio: ["ignore", "inherit", "inherit"]
    })
    p.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`run with seed ${o.seed} exited with ${code}`))
      try {
        const raw = JSON.parse(readFileSync(out, "utf8"))
        rmSync(out, { force: true })
        resolve(analyse(raw))
      } catch (e) {
        reject(e)
      }
    })
  })

const min = (ms: number) => `${(ms / minute).toFixed(2)} min`
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const print = (a: Analysed) => {
  console.log(`\n== seed ${a.seed}: ${a.companies} companies, concurrency ${a.concurrency}, factor ${a.factor} (wall ${s(a.wallMillis)})`)
  console.log(`targets: ${JSON.stringify(a.targets)}  status ${a.status}`)
  console.log(`makespan (real scale)   ${min(a.makespanMillis)}`)
  console.log(`lower bound             ${min(a.lowerBoundMillis)} (${a.binding})   ratio ${a.ratio.toFixed(3)} (goal <= 1.15)`)
  console.log(`bounds                  ${Object.entries(a.bounds).map(([k, v]) => `${k} ${min(v)}`).join(", ")}`)
  console.log(`bounds with tail        ${Object.entries(a.boundWithTailMillis).map(([k, v]) => `${k} ${min(v)}`).join(", ")}`)
  console.log(`companies done          p50 ${min(a.completion.p50Millis)}, p90 ${min(a.completion.p90Millis)}, last ${min(a.completion.lastMillis)}`)
  console.log(`vendor calls            ${Object.entries(a.vendorCalls).map(([k, v]) => `${k} ${v}`).join(", ")}; crawl requests ${a.crawlRequests}`)
  console.log(`429s                    ${Object.entries(a.rejected429).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  console.log(`achieved rates /min     ${Object.entries(a.achieved).map(([k, v]) => `${k} ${v === null ? "-" : v.perMinute.toFixed(1)}`).join(", ")}`)
  console.log(`process CPU             ${s(a.cpu.millis)} (${a.cpu.perCompanyMillis.toFixed(0)} ms per company, ${(a.cpu.shareOfWall * 100).toFixed(0)}% of wall): a floor of ${min(a.cpu.realScaleFloorMillis)} at real scale under factor ${a.factor}`)
  const t = a.cpu.byThread
  console.log(`CPU per company         main ${t.main.perCompanyMillis.toFixed(1)} ms (goal <= ${a.cpu.mainGoalPerCompanyMillis}; a floor of ${min(a.cpu.mainRealScaleFloorMillis)} at real scale), world ${t.world.perCompanyMillis.toFixed(1)} ms, parse workers ${t.parseWorkers.perCompanyMillis.toFixed(1)} ms (${a.cpu.parseWorkerThreads} threads), other ${t.other.perCompanyMillis.toFixed(1)} ms (V8/libuv helpers); ${a.machine.cores} cores, load ${a.machine.loadAverage.map((x) => x.toFixed(1)).join(" -> ")}`)
  console.log(`machine                 ${a.machine.cores} cores, load average ${a.machine.loadAverage.map((x) => x.toFixed(1)).join(" -> ")} (other processes share them)`)
  console.log(`SQL                     ${a.sql.statements} statements (${a.sql.perCompany.toFixed(0)} per company) in ${a.sql.transactions} transactions (${a.sql.transactionsPerCompany.toFixed(1)} per company)`)
  console.log(`event loop utilisation  ${(a.eventLoopUtilization * 100).toFixed(0)}% (world thread ${(a.worldEventLoopUtilization * 100).toFixed(0)}%)${a.pglite === null ? "" : `; PGlite busy ${(a.pglite.busyShareOfWall * 100).toFixed(0)}% of wall (${a.pglite.statements} protocol calls)`}`)
  console.log(`exported to Odoo        ${a.exported.partners} partners, ${a.exported.leads} leads; warnings ${a.warningCount}`)
  for (const w of a.warnings.slice(0, 3)) console.log(`  ${w}`)
  for (const [f, n] of Object.entries(a.failures)) console.log(`failed ${String(n).padStart(5)} x ${f}`)
  console.log(`step         ok  skip fail   p50        p90        max`)
  for (const st of a.steps) {
    console.log(`${st.step.padEnd(11)}${String(st.succeeded).padStart(5)}${String(st.skipped).padStart(5)}${String(st.failed).padStart(5)}   ${s(st.p50Millis).padEnd(10)} ${s(st.p90Millis).padEnd(10)} ${s(st.maxMillis)}`)
  }
}

const parent = async () => {
  const runs = quick ? 1 : num("runs", 5)
  const base = {
    companies: quick ? 100 : num("companies", 1000),
    factor: num("factor", 2),
    concurrency: num("concurrency", 200),
    zbBatchesPerMinute: arg("zb-batches-per-minute") === undefined ? undefined : Number(arg("zb-batches-per-minute")),
    db: (arg("db") ?? "pglite") as "pglite" | "postgres"
  }
  if (base.db === "postgres" && !process.env.DATABASE_URL) throw new Error("--db postgres needs DATABASE_URL")
  const first = num("seed", 1)
  console.log(`pipeline benchmark: ${runs} run(s) of ${base.companies} companies, factor ${base.factor}, concurrency ${base.concurrency}, ${base.db}`)
  console.log(`real-scale parameters: ${JSON.stringify(real)}; ZeroBounce batches per minute: ${base.zbBatchesPerMinute ?? "unlimited"}`)
  const results: Array<Analysed> = []
  for (let i = 0; i < runs; i++) {
    const profile = arg("cpu-profile")
    const cpuProfile = profile === undefined ? undefined : runs === 1 ? profile : profile.replace(/(\.cpuprofile)?$/, `-${first + i}.cpuprofile`)
    const heap = arg("heap-profile")
    const heapProfile = heap === undefined ? undefined : runs === 1 ? heap : heap.replace(/(\.heapprofile)?$/, `-${first + i}.heapprofile`)
    const a = await runChild({ ...base, seed: first + i, cpuProfile, heapProfile, count: !argv.includes("--count") ? undefined : arg("count") === "detail" ? "detail" : "spans" })
    if (cpuProfile !== undefined) console.log(`main-thread CPU profile ${cpuProfile}`)
    print(a)
    results.push(a)
  }
  const makespans = results.map((r) => r.makespanMillis)
  const ratios = results.map((r) => r.ratio)
  const p90 = q(makespans, 0.9)
  console.log(`\n== ${runs} run(s)`)
  console.log(`makespans (real scale)  ${makespans.map(min).join(", ")}`)
  console.log(`ratios                  ${ratios.map((x) => x.toFixed(3)).join(", ")} (goal <= 1.15)`)
  console.log(`p90 makespan            ${min(p90)} (goal: far under 90 min)`)
  const perCompany = (k: "main" | "world" | "parseWorkers" | "other") =>
    results.map((r) => r.cpu.byThread[k].perCompanyMillis.toFixed(1)).join(", ")
  console.log(`CPU ms per company      total ${results.map((r) => r.cpu.perCompanyMillis.toFixed(1)).join(", ")}; main ${perCompany("main")} (goal <= ${base.db === "postgres" ? 50 : 80}); world ${perCompany("world")}; parse workers ${perCompany("parseWorkers")}; other ${perCompany("other")}`)
  console.log(`machine                 ${results.map((r) => `${r.machine.cores} cores, load ${r.machine.loadAverage.map((x) => x.toFixed(1)).join(" -> ")}`).join("; ")}`)
  const at = new Date().toISOString()
  const file = `bench/results/pipeline-${at.replace(/[:.]/g, "-")}.json`
  mkdirSync("bench/results", { recursive: true })
  writeFileSync(file, JSON.stringify({
    suite: "pipeline",
    quick,
    node: process.version,
    at,
    real,
    options: { runs, ...base, firstSeed: first },
    p90MakespanMillis: p90,
    maxRatio: Math.max(...ratios),
    goals: { ratio: 1.15, p90MakespanMillis: 90 * minute, mainThreadCpuPerCompanyMillis: base.db === "postgres" ? 50 : 80 },
    runs: results
  }, null, 2))
  console.log(`written                 ${file}`)
}

;(arg("child") !== undefined ? child() : parent()).catch((e) => {
  console.error(e)
  process.exit(1)
})
