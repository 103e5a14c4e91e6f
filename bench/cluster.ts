/**
 * `npm run bench -- cluster`: the pipeline bench's run (1,000 companies of
 * one tenant over the fixture sites and the five fake vendors, see
 * bench/pipeline.ts) on Postgres, with its companies handed out to 1, 2 and
 * 3 worker processes: the cluster as `leadgraph worker` and `leadgraph run
 * --cluster` run it.
 *
 * Processes of a trial (one regime, one worker count, one run), each a
 * separate OS process on the trial's own schema (`DATABASE_URL`, migrated
 * as `MIGRATION_DATABASE_URL` where set; both dropped at the end):
 * - N workers (bench/cluster/worker.ts): `Cluster.layer` as a runner on
 *   127.0.0.1 and `CompanyEnrichmentEntity.layer` over
 *   `Environment.layer({ coordination: "database", ... })`;
 * - one dispatcher (bench/cluster/dispatcher.ts): the world (fixture web
 *   and fakes) in a worker thread, as in the pipeline bench, and the run,
 *   `EnrichmentRun.run` with the cluster's dispatcher (a cluster client).
 *
 * Time scaling: every process runs on bench/pipeline/ScaledClock.ts with
 * the same factor and origin, so their clocks agree, and every latency,
 * limit interval, politeness gap, the cluster's lease and poll interval and
 * the makespan are as in the pipeline bench (durations read through `Clock`
 * are at real scale). The shared coordination is the catch: the vendors'
 * rate limits (`SharedRateLimits` over `RateLimiterStoreSql`) and the
 * per-host politeness (`SharedPoliteness`) take time from the database's
 * clock by default, which a scaled `Clock` does not touch. Scaling their
 * rates instead (limits x factor, gaps / factor) does not work: the token
 * bucket answers each caller with the delay to wait, in database
 * milliseconds, and the caller sleeps it on its scaled `Clock`, that is a
 * factor too short, so calls would start early and overrun the vendor's
 * window. Both stores take an option for this, `clock: "effect"`: the
 * process sends its `Clock`'s time with every statement and the database
 * computes with it (tests drive the same path with `TestClock`). The bench
 * sets it for both (`Environment.Options.rateLimits` and `politeness`), so
 * the shared buckets and gaps run on the one scaled timeline, with the
 * vendors' real limits. Everything else in the database that keeps time by
 * its own clock (the cluster's runner heartbeats and shard locks, the
 * budget ledger's leases) is renewed on the scaled clock, so it is renewed
 * `factor` times as often as it needs: safe, only a little more SQL.
 *
 * Two regimes:
 * 1. `limits`: the vendors' limits and latencies of the pipeline bench.
 *    Reported per worker count: the makespan at real scale, its lower
 *    bound (bench/pipeline/bounds.ts: the rate limits and the critical
 *    path), their ratio (goal <= 1.15 at every worker count), p50/p90 per
 *    step, and each vendor's aggregate rate from the fake's arrival journal
 *    (every request, rejected ones included): over the run, and the most
 *    calls in any sliding minute against its limit (must never exceed it).
 *    The vendors' limits are spaced, as the `*_PER_MINUTE` settings make
 *    them: start slots `(60 s + 1 s) / limit` apart; a process that wakes
 *    late for its slot by more than a quarter of the spacing (a starved
 *    machine) takes a new one rather than sending its call next to the
 *    following slots' calls (SharedRateLimits.make; the turns let go are
 *    printed per vendor, from the workers' metric), and the rest of the
 *    1 s is left for the time between a call's start and its arrival at
 *    the fake, which the limiter cannot see and a machine whose load is far
 *    above its cores can stretch, so read the check beside the load (and
 *    `--worker-nice` below). Each trial prints the binding vendor's first
 *    and last call, its rate between and the turns between them that no
 *    call took (late wake-ups, or no company waiting).
 * 2. `cpu`: every limit x100, latencies, page time and politeness gaps /10,
 *    no Crawl-delay, so the processes' CPU binds: companies per minute (wall
 *    and real scale) per worker count, and the scaling against 1 worker.
 *    Two workers cannot scale past the cores: read the figures beside the
 *    core count and the load average printed with them.
 *
 * CPU is reported per process (from `Go` to the run's end; workers by
 * thread as in bench/pipeline/Threads.ts), the dispatcher without the
 * world's thread, and the Postgres backends of the database
 * (`/proc/<pid>/stat` of `pg_stat_activity`'s pids, sampled every 2 s).
 *
 * Options: `--companies N` (1000; in the `cpu` regime 200, or
 * `--cpu-companies N`), `--workers 1,2,3`, `--regime limits|cpu|both`
 * (both), `--factor F` for the `limits` regime (2, as the pipeline bench
 * runs; 1 is the night at its real pace, twice as long), `--worker-nice N`
 * (10: the workers run at that niceness, so that the world's thread, which
 * stamps each request's arrival at the fakes and stands for the vendors'
 * own machines, is not starved by them on a small machine: at 0, a
 * 3-worker trial at factor 2 left the world's thread silent for up to
 * 1.1 s of the scaled clock during the run's first 20 s, and the Lusha
 * calls held back behind that were stamped within 81 ms of each other,
 * 304 in one sliding minute (with the limiter's earlier allowance of 0.5 s
 * a minute; 300 with today's 1 s); at 10, the longest silence after the
 * start was 0.3 s and the busiest minute held 297 (296 to 298 with 1 s),
 * in December 2026; 0 runs everything at one priority), `--cpu-factor F` for the `cpu` regime
 * (2), `--concurrency N` (200: companies in flight across the cluster,
 * and at most per worker; in the `cpu` regime `--cpu-concurrency N`, 60,
 * so that far more companies than that flow through and a steady state
 * can be read: the companies finished between the 20th and 80th
 * percentile of finishing times over that time),
 * `--seed S` (1), `--pool N` (each process's Postgres pool: 10, the
 * default of `leadgraph worker`; in the `cpu` regime `--cpu-pool N`, by
 * default 30 but at most 90 / (workers + 1), under Postgres's default 100
 * connections (3 workers and the dispatcher with 30 each drew 53300 "too
 * many connections"): with 10, one worker was bound by its pool rather
 * than its CPU, 192 against 287 companies a minute with 30 in December
 * 2026, which would flatter the scaling), `--quick` (100 companies,
 * workers 1,2). The cluster's
 * lease is its default (35 s) and its poll interval 2 s, of the scaled
 * clock. `BENCH_KEEP_RAW=1` keeps each trial's raw results (the fakes'
 * arrival journals, the crawl log) in the temporary directory. The default
 * run (6 trials) takes about 20 minutes on 2 quiet cores (each `limits`
 * trial about 4, at factor 2), about 30 s of which per trial are
 * starting the world, the schema and the workers; progress is printed as
 * it goes. Results go to bench/results/cluster-<time>.json.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { performance } from "node:perf_hooks"
import { type Analysed, analyse, type RawTrial } from "./cluster/analyse.js"
import { type Message, type Regime, realOf, type Trial, type Urls } from "./cluster/common.js"
import { freePort } from "./cluster/freePort.js"
import type { WorkerReport } from "./cluster/worker.js"
import { arg, num, quick } from "./pipeline/args.js"

const minute = 60_000

// ---------------------------------------------------------------- children

const childMain = async (role: string) => {
  const trial: Trial = JSON.parse(arg("trial")!)
  if (role === "dispatcher") {
    const { main } = await import("./cluster/dispatcher.js")
    await main(trial, arg("out")!)
  } else {
    const { main } = await import("./cluster/worker.js")
    await main(trial, Number(arg("port")), JSON.parse(arg("urls")!) as Urls)
  }
  process.exit(0)
}

// ---------------------------------------------------------------- parent

/** A child process with its messages. */
interface Child {
  readonly process: ChildProcess
  readonly next: <T extends Message["_tag"]>(tag: T) => Promise<Extract<Message, { readonly _tag: T }>>
  readonly exited: Promise<number | null>
}

const startChild = (
  name: string,
  args: ReadonlyArray<string>,
  options?: { readonly onMessage?: (m: Message) => void; readonly nice?: number }
): Child => {
  const onMessage = options?.onMessage
  const command = [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...args]
  // `nice` (POSIX) starts the child at a lower priority, every thread of it
  const nice = options?.nice ?? 0
  const [file, ...rest] = nice > 0 ? ["nice", "-n", String(nice), ...command] : command
  const p = spawn(file!, rest, { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const queued: Array<Message> = []
  const waiting: Array<{ tag: string; resolve: (m: Message) => void; reject: (e: Error) => void }> = []
  p.on("message", (m: Message) => {
    onMessage?.(m)
    const i = waiting.findIndex((w) => w.tag === m._tag)
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m)
    else queued.push(m)
  })
  const exited = new Promise<number | null>((resolve) =>
    p.on("exit", (code) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`${name} exited with ${code} before ${w.tag}`))
      resolve(code)
    })
  )
  return {
    process: p,
    exited,
    next: (tag) =>
      new Promise((resolve, reject) => {
        const i = queued.findIndex((m) => m._tag === tag)
        if (i >= 0) return resolve(queued.splice(i, 1)[0] as never)
        if (p.exitCode !== null) return reject(new Error(`${name} exited with ${p.exitCode} before ${tag}`))
        waiting.push({ tag, resolve: resolve as (m: Message) => void, reject })
      })
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const min = (ms: number) => `${(ms / minute).toFixed(2)} min`
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ")
const elapsed = (t0: number) => s(performance.now() - t0)

const runTrial = async (trial: Trial, t0: number): Promise<Analysed> => {
  const out = join(tmpdir(), `lg-bench-cluster-${process.pid}-${trial.regime}-${trial.workers}.json`)
  const children: Array<Child> = []
  try {
    let lastPrint = 0
    const dispatcher = startChild("the dispatcher", ["--role", "dispatcher", "--trial", JSON.stringify(trial), "--out", out], {
      onMessage: (m) => {
        if (m._tag === "Progress" && (m.done === m.total || performance.now() - lastPrint > 10_000)) {
          lastPrint = performance.now()
          console.log(`  [${elapsed(t0)}] ${m.done}/${m.total} companies (run's wall ${s(m.wallMillis)}), load ${load()}`)
        }
      }
    })
    children.push(dispatcher)
    const { urls } = await dispatcher.next("Ready")
    console.log(`  [${elapsed(t0)}] world up, schema ${trial.schema} migrated and seeded; ${trial.workers} worker(s) starting`)
    const workers: Array<Child> = []
    for (let i = 0; i < trial.workers; i++) {
      const port = await freePort()
      const w = startChild(`worker ${i + 1}`, ["--role", "worker", "--trial", JSON.stringify(trial), "--port", String(port), "--urls", JSON.stringify(urls)], {
        nice: trial.workerNice
      })
      workers.push(w)
      children.push(w)
    }
    await Promise.all(workers.map((w) => w.next("Joined")))
    // let the shards settle on the workers (assignments refresh every 3 s of the scaled clock)
    await new Promise((r) => setTimeout(r, Math.max(2_000, (3 * 3_000) / trial.factor)))
    console.log(`  [${elapsed(t0)}] ${trial.workers} worker(s) joined; run starts`)
    for (const w of workers) w.process.send({ _tag: "Go" } satisfies Message)
    dispatcher.process.send({ _tag: "Go" } satisfies Message)
    await dispatcher.next("Done")
    const reports: Array<WorkerReport> = []
    for (const w of workers) {
      w.process.send({ _tag: "Stop" } satisfies Message)
      reports.push((await w.next("Stopped")).report as WorkerReport)
    }
    await Promise.all(workers.map((w) => w.exited))
    dispatcher.process.send({ _tag: "Drop" } satisfies Message)
    const code = await dispatcher.exited
    if (code !== 0) throw new Error(`the dispatcher exited with ${code}`)
    const raw = JSON.parse(readFileSync(out, "utf8")) as RawTrial
    return analyse(raw, reports)
  } finally {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill("SIGKILL")
    if (process.env.BENCH_KEEP_RAW === undefined) rmSync(out, { force: true })
    else console.log(`raw results kept in ${out}`)
  }
}

const print = (a: Analysed) => {
  console.log(`\n== ${a.regime}, ${a.workers} worker(s): ${a.companies} companies, factor ${a.factor}, concurrency ${a.concurrency}, pool ${a.pool}, workers at nice ${a.workerNice} (wall ${s(a.wallMillis)})`)
  console.log(`targets                 ${JSON.stringify(a.targets)}  status ${a.status}`)
  console.log(`makespan (real scale)   ${min(a.makespanMillis)}`)
  console.log(`lower bound             ${min(a.lowerBoundMillis)} (${a.binding})   ratio ${a.ratio.toFixed(3)}${a.regime === "limits" ? " (goal <= 1.15)" : ""}`)
  console.log(`bounds                  ${Object.entries(a.bounds).map(([k, v]) => `${k} ${min(v)}`).join(", ")}`)
  const steady = a.companiesPerMinute.steadyWall === null
    ? "-"
    : `${a.companiesPerMinute.steadyWall.toFixed(1)} wall, ${a.companiesPerMinute.steadyReal!.toFixed(1)} at real scale`
  console.log(`companies per minute    ${a.companiesPerMinute.wall.toFixed(1)} wall, ${a.companiesPerMinute.real.toFixed(1)} at real scale; steady state (20th to 80th percentile) ${steady}`)
  console.log(`companies done          p50 ${min(a.completion.p50Millis)}, p90 ${min(a.completion.p90Millis)}, last ${min(a.completion.lastMillis)}`)
  console.log(`vendor calls            ${Object.entries(a.vendorCalls).map(([k, v]) => `${k} ${v}`).join(", ")}; crawl requests ${a.crawlRequests}; OpenAI 429s ${a.openAi429}`)
  const b = a.rates[a.binding]
  if (b !== undefined && b.firstAt !== null && b.lastAt !== null) {
    console.log(`${a.binding} busy span         first call at ${(b.firstAt / minute).toFixed(2)} min, last at ${(b.lastAt / minute).toFixed(2)} min (${b.perMinute?.toFixed(1)} a minute between); ${((a.makespanMillis - b.lastAt) / minute).toFixed(2)} min after the last`)
    console.log(`${a.binding} unused turns      ${b.unusedTurns?.toFixed(0) ?? "-"} between the first and last call`)
  }
  console.log(`turns let go late       ${Object.entries(a.lateRetakes).map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`)
  console.log(`vendor rates /min       ${Object.entries(a.rates).map(([k, r]) => `${k} ${r.perMinute === null ? "-" : r.perMinute.toFixed(1)} (max ${r.maxInAnyMinute} in any minute${r.limit === null ? "" : ` / limit ${r.limit}${r.withinLimit ? "" : " EXCEEDED"}`})`).join(", ")}`)
  console.log(`CPU by process          ${a.cpu.processes.map((p) => `${p.name} ${s(p.totalMillis)} (main ${s(p.mainMillis)}${p.name === "dispatcher" ? "" : `, parse ${s(p.parseWorkersMillis)}; ${p.enriched} companies`})`).join("; ")}`)
  console.log(`CPU elsewhere           postgres backends ${s(a.cpu.postgres.millis)} (${a.cpu.postgres.backends}), world thread ${s(a.cpu.world.millis)} (event loop ${(a.cpu.world.eventLoopUtilization * 100).toFixed(0)}%)`)
  console.log(`CPU per company         ${a.cpu.clusterPerCompanyMillis.toFixed(0)} ms (workers, dispatcher, postgres); ${(a.cpu.shareOfCores * 100).toFixed(0)}% of ${a.machine.cores} cores over the run`)
  console.log(`machine                 ${a.machine.cores} cores, load average ${a.machine.loadAverage.start.map((x) => x.toFixed(2)).join(" ")} -> ${a.machine.loadAverage.end.map((x) => x.toFixed(2)).join(" ")}`)
  console.log(`exported to Odoo        ${a.exported.partners} partners, ${a.exported.leads} leads; warnings: dispatcher ${a.warnings.dispatcher}, workers ${a.warnings.workers}`)
  for (const w of a.warnings.first) console.log(`  ${w}`)
  for (const [code, n] of Object.entries(a.failures)) console.log(`failed steps            ${n} x ${code}`)
  console.log(`step         ok  skip fail   p50        p90        max`)
  for (const st of a.steps) {
    console.log(`${st.step.padEnd(11)}${String(st.succeeded).padStart(5)}${String(st.skipped).padStart(5)}${String(st.failed).padStart(5)}   ${s(st.p50Millis).padEnd(10)} ${s(st.p90Millis).padEnd(10)} ${s(st.maxMillis)}`)
  }
}

const parent = async () => {
  if (!process.env.DATABASE_URL) {
    console.error(
      "the cluster bench needs Postgres: set DATABASE_URL (the runtime role's URL) and, where the store migrates as another role, MIGRATION_DATABASE_URL"
    )
    process.exit(2)
  }
  const regimeArg = arg("regime") ?? "both"
  if (!["limits", "cpu", "both"].includes(regimeArg)) throw new Error(`--regime limits|cpu|both, not ${regimeArg}`)
  const regimes: Array<Regime> = regimeArg === "both" ? ["limits", "cpu"] : [regimeArg as Regime]
  const workerCounts = (arg("workers") ?? (quick ? "1,2" : "1,2,3")).split(",").map(Number)
  if (workerCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--workers: a list of counts, such as 1,2,3")
  const companiesOf = (regime: Regime) =>
    quick ? 100 : regime === "limits" ? num("companies", 1000) : num("cpu-companies", num("companies", 200))
  const factorOf = (regime: Regime) => regime === "limits" ? num("factor", 2) : num("cpu-factor", 2)
  const workerNice = num("worker-nice", 10)
  const concurrencyOf = (regime: Regime) => regime === "limits" ? num("concurrency", 200) : num("cpu-concurrency", 60)
  const seed = num("seed", 1)
  // Postgres allows 100 connections by default: the cpu regime's pools stay under 90 in all
  const poolOf = (regime: Regime, workers = 1) =>
    regime === "limits" ? num("pool", 10) : num("cpu-pool", Math.min(30, Math.floor(90 / (workers + 1))))
  const cluster = { leaseSeconds: 35, pollSeconds: 2 }
  console.log(`cluster benchmark: regimes ${regimes.join(", ")}; workers ${workerCounts.join(", ")}; factor ${regimes.map((r) => `${factorOf(r)} (${r})`).join(", ")}; seed ${seed}`)
  console.log(`machine: ${cpus().length} cores, load average ${load()}`)
  const t0 = performance.now()
  const results: Array<Analysed> = []
  for (const regime of regimes) {
    console.log(`\nregime ${regime}: concurrency ${concurrencyOf(regime)}; real-scale parameters ${JSON.stringify(realOf(regime))}`)
    for (const workers of workerCounts) {
      const trial: Trial = {
        regime,
        workers,
        companies: companiesOf(regime),
        factor: factorOf(regime),
        concurrency: concurrencyOf(regime),
        seed,
        origin: performance.timeOrigin + performance.now(),
        schema: `lg_bench_cluster_${regime}_${workers}_${Date.now().toString(36)}`,
        real: realOf(regime),
        pool: poolOf(regime, workers),
        cluster,
        workerNice
      }
      console.log(`\n[${elapsed(t0)}] ${regime}: ${workers} worker(s), ${trial.companies} companies, Postgres pool ${trial.pool} per process`)
      const a = await runTrial(trial, t0)
      print(a)
      results.push(a)
    }
  }
  console.log(`\n== summary (${cpus().length} cores; total wall ${elapsed(t0)})`)
  for (const regime of regimes) {
    const rs = results.filter((r) => r.regime === regime)
    const one = rs.find((r) => r.workers === 1)
    console.log(regime === "limits"
      ? `limits   workers  makespan    bound       ratio   rates within limits   load avg (1 min, end)`
      : `cpu      workers  companies/min wall  real     steady wall  scaling vs 1 (steady)   CPU ms/company   load avg (1 min, end)`)
    for (const r of rs) {
      const loadEnd = r.machine.loadAverage.end[0]!.toFixed(2)
      if (regime === "limits") {
        const ok = Object.values(r.rates).every((x) => x.withinLimit !== false)
        console.log(`         ${String(r.workers).padStart(7)}  ${min(r.makespanMillis).padEnd(10)}  ${min(r.lowerBoundMillis).padEnd(10)}  ${r.ratio.toFixed(3)}   ${ok ? "yes" : "NO"}                   ${loadEnd}`)
      } else {
        const scaling = one === undefined ? "-" : (r.companiesPerMinute.wall / one.companiesPerMinute.wall).toFixed(2)
        const steady = r.companiesPerMinute.steadyWall
        const steadyScaling = one?.companiesPerMinute.steadyWall == null || steady === null ? "-" : (steady / one.companiesPerMinute.steadyWall).toFixed(2)
        console.log(`         ${String(r.workers).padStart(7)}  ${r.companiesPerMinute.wall.toFixed(1).padStart(18)}  ${r.companiesPerMinute.real.toFixed(1).padStart(6)}   ${(steady === null ? "-" : steady.toFixed(1)).padStart(11)}  ${`${scaling} (${steadyScaling})`.padStart(21)}   ${r.cpu.clusterPerCompanyMillis.toFixed(0).padStart(14)}   ${loadEnd}`)
      }
    }
  }
  const at = new Date().toISOString()
  const file = `bench/results/cluster-${at.replace(/[:.]/g, "-")}.json`
  mkdirSync("bench/results", { recursive: true })
  const limits = results.filter((r) => r.regime === "limits")
  const cpuRuns = results.filter((r) => r.regime === "cpu")
  const one = cpuRuns.find((r) => r.workers === 1)
  writeFileSync(file, JSON.stringify({
    suite: "cluster",
    quick,
    node: process.version,
    at,
    machine: { cores: cpus().length, loadAverageAtEnd: loadavg() },
    options: { regimes, workers: workerCounts, factor: Object.fromEntries(regimes.map((r) => [r, factorOf(r)])), concurrency: Object.fromEntries(regimes.map((r) => [r, concurrencyOf(r)])), seed, cluster },
    goals: { ratio: 1.15 },
    maxRatio: limits.length === 0 ? null : Math.max(...limits.map((r) => r.ratio)),
    ratesWithinLimits: limits.every((r) => Object.values(r.rates).every((x) => x.withinLimit !== false)),
    cpuScaling: cpuRuns.map((r) => ({
      workers: r.workers,
      companiesPerMinuteWall: r.companiesPerMinute.wall,
      companiesPerMinuteReal: r.companiesPerMinute.real,
      scaling: one === undefined ? null : r.companiesPerMinute.wall / one.companiesPerMinute.wall,
      companiesPerMinuteSteadyWall: r.companiesPerMinute.steadyWall,
      steadyScaling: one?.companiesPerMinute.steadyWall == null || r.companiesPerMinute.steadyWall === null
        ? null
        : r.companiesPerMinute.steadyWall / one.companiesPerMinute.steadyWall
    })),
    trials: results
  }, null, 2))
  console.log(`written                 ${file}`)
}

const role = arg("role")
;(role !== undefined ? childMain(role) : parent()).catch((e) => {
  console.error(e)
  process.exit(1)
})
