/**
 * What the cluster benchmark makes of one trial: the dispatcher's raw
 * results and the workers' reports, into the figures it prints and writes.
 */
import { SharedRateLimits } from "@leadgraph/adapters"
import { RunSummary } from "@leadgraph/core"
import { Duration } from "effect"
import type { Real } from "../pipeline/bounds.js"
import { lowerBound } from "../pipeline/bounds.js"
import type * as Threads from "../pipeline/Threads.js"
import type { Trial } from "./common.js"
import type { WorkerReport } from "./worker.js"

/** What the dispatcher writes. */
export interface RawTrial {
  readonly trial: Trial
  readonly makespanMillis: number
  readonly wallMillis: number
  readonly status: string
  readonly summary: RunSummary.RunSummary
  /** Failed steps by `<step>: <code>`, from the workers' reports. */
  readonly failures: Readonly<Record<string, number>>
  readonly budgets: unknown
  readonly finishedAt: ReadonlyArray<number>
  readonly fakeCalls: Record<string, Readonly<Record<string, number>>>
  readonly served: { readonly completions: number }
  readonly exported: { readonly partners: number; readonly leads: number }
  readonly crawlLog: ReadonlyArray<{ readonly host: string; readonly time: number; readonly status: number }>
  readonly crawlDelayHosts: ReadonlyArray<string>
  readonly arrivals: Record<string, ReadonlyArray<{ readonly endpoint: string; readonly at: number }>>
  readonly worldEventLoopUtilization: number
  readonly cpu: Threads.ThreadCpu
  readonly postgres: { readonly millis: number; readonly backends: number }
  readonly cores: number
  readonly loadAverage: { readonly start: ReadonlyArray<number>; readonly end: ReadonlyArray<number> }
  readonly warningCount: number
  readonly warnings: ReadonlyArray<string>
}

const minute = 60_000
const sum = (xs: Iterable<number>) => {
  let s = 0
  for (const x of xs) s += x
  return s
}
const q = (xs: ReadonlyArray<number>, p: number) => RunSummary.quantile([...xs].sort((a, b) => a - b), p)

/** The most calls that start within any `window` milliseconds (a half-open sliding window). */
export const maxInWindow = (times: ReadonlyArray<number>, window: number): number => {
  const t = [...times].sort((a, b) => a - b)
  let best = 0
  let j = 0
  for (let i = 0; i < t.length; i++) {
    while (j < t.length && t[j]! < t[i]! + window) j++
    best = Math.max(best, j - i)
  }
  return best
}

/** The limits per minute the vendors enforce (ZeroBounce: none in this bench). */
const limitsOf = (real: Real): Record<string, number | undefined> => ({
  tavily: real.tavily.perMinute,
  lusha: real.lusha.perMinute,
  openai: real.openAi.perMinute,
  zerobounce: undefined
})

/** The figures of one trial. */
export const analyse = (raw: RawTrial, workers: ReadonlyArray<WorkerReport>) => {
  const { trial } = raw
  const vendorCalls = Object.fromEntries(Object.entries(raw.fakeCalls).map(([v, c]) => [v, sum(Object.values(c))]))
  const bound = lowerBound(trial.real, {
    vendorCalls,
    crawlLog: raw.crawlLog,
    crawlDelayHosts: raw.crawlDelayHosts,
    zbBatchesPerMinute: undefined
  })
  // each vendor's aggregate rate, from the fake's arrival journal: over the
  // whole run, and the most calls in any sliding minute, against its limit
  const limits = limitsOf(trial.real)
  const rates = Object.fromEntries(Object.entries(raw.arrivals).map(([v, xs]) => {
    const at = xs.map((x) => x.at)
    const firstAt = at.length === 0 ? null : Math.min(...at)
    const lastAt = at.length === 0 ? null : Math.max(...at)
    const span = firstAt === null || lastAt === null ? 0 : lastAt - firstAt
    const maxPerMinute = maxInWindow(at, minute)
    const limit = limits[v]
    // the turns the vendor's limit allowed between the first and the last
    // arrival that no call took: the span over the library's spacing, less
    // the gaps the calls filled
    const turns = limit === undefined
      ? null
      : span / Duration.toMillis(SharedRateLimits.spacing(SharedRateLimits.perMinute(limit)))
    return [v, {
      calls: at.length,
      /** The first and the last arrival (ms after the run's start): between them, the vendor's busy span. */
      firstAt,
      lastAt,
      perMinute: span === 0 ? null : ((at.length - 1) / span) * minute,
      maxInAnyMinute: maxPerMinute,
      limit: limit ?? null,
      withinLimit: limit === undefined ? null : maxPerMinute <= limit,
      /** Turns between the first and the last arrival that no call took. */
      unusedTurns: turns === null || at.length === 0 ? null : Math.max(0, turns - (at.length - 1))
    }]
  }))
  const processes = [
    ...workers.map((w, i) => ({
      name: `worker ${i + 1}`,
      enriched: w.enriched,
      totalMillis: w.cpu.totalMillis,
      mainMillis: w.cpu.mainMillis,
      parseWorkersMillis: w.cpu.parseWorkersMillis,
      otherMillis: w.cpu.otherMillis
    })),
    {
      name: "dispatcher",
      enriched: 0,
      totalMillis: raw.cpu.totalMillis - raw.cpu.worldMillis,
      mainMillis: raw.cpu.mainMillis,
      parseWorkersMillis: 0,
      otherMillis: raw.cpu.otherMillis
    }
  ]
  const companies = trial.companies
  // steady state: the companies that finished between the 20th and the 80th
  // percentile of finishing times, over that time (no start-up, no tail)
  const done = [...raw.finishedAt].sort((a, b) => a - b)
  const lo = Math.floor(done.length * 0.2)
  const hi = Math.max(lo, Math.ceil(done.length * 0.8) - 1)
  const steadyReal = hi > lo && done[hi]! > done[lo]! ? ((hi - lo) / (done[hi]! - done[lo]!)) * minute : null
  const clusterCpu = sum(processes.map((p) => p.totalMillis)) + raw.postgres.millis
  return {
    regime: trial.regime,
    workers: trial.workers,
    companies,
    factor: trial.factor,
    concurrency: trial.concurrency,
    pool: trial.pool,
    workerNice: trial.workerNice,
    status: raw.status,
    targets: raw.summary.targets,
    makespanMillis: raw.makespanMillis,
    wallMillis: raw.wallMillis,
    lowerBoundMillis: bound.lowerBoundMillis,
    binding: bound.binding,
    ratio: raw.makespanMillis / bound.lowerBoundMillis,
    bounds: bound.bounds,
    boundWithTailMillis: bound.boundWithTailMillis,
    criticalPath: bound.criticalPath,
    companiesPerMinute: {
      wall: (companies / raw.wallMillis) * minute,
      real: (companies / raw.makespanMillis) * minute,
      /** Between the 20th and the 80th percentile of finishing times, at real scale and on the wall clock. */
      steadyReal,
      steadyWall: steadyReal === null ? null : steadyReal * trial.factor
    },
    completion: { p50Millis: q(raw.finishedAt, 0.5), p90Millis: q(raw.finishedAt, 0.9), lastMillis: Math.max(...raw.finishedAt) },
    steps: raw.summary.steps.map((s) => ({
      step: s.step,
      succeeded: s.succeeded,
      failed: s.failed,
      skipped: sum(Object.values(s.skipped)),
      p50Millis: s.p50Millis,
      p90Millis: s.p90Millis,
      maxMillis: s.maxMillis
    })),
    vendorCalls,
    openAi429: vendorCalls.openai! - raw.served.completions,
    rates,
    /** Turns of the shared limits the workers woke too late for and let go, by vendor (their `leadgraph_rate_limit_late_retakes`). */
    lateRetakes: workers.reduce<Record<string, number>>((acc, w) => {
      for (const [v, n] of Object.entries(w.lateRetakes)) acc[v] = (acc[v] ?? 0) + n
      return acc
    }, {}),
    crawlRequests: raw.crawlLog.length,
    exported: raw.exported,
    failures: raw.failures,
    budgets: raw.budgets,
    cpu: {
      processes,
      world: { millis: raw.cpu.worldMillis, eventLoopUtilization: raw.worldEventLoopUtilization },
      postgres: raw.postgres,
      /** Workers, dispatcher (without the world's thread) and the database's backends. */
      clusterMillis: clusterCpu,
      clusterPerCompanyMillis: clusterCpu / companies,
      shareOfCores: clusterCpu / raw.wallMillis / raw.cores
    },
    machine: { cores: raw.cores, loadAverage: raw.loadAverage },
    warnings: { dispatcher: raw.warningCount, workers: sum(workers.map((w) => w.warningCount)), first: [...raw.warnings, ...workers.flatMap((w) => w.warnings)].slice(0, 5) }
  }
}

/** The figures of one trial. */
export type Analysed = ReturnType<typeof analyse>
