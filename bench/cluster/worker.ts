/**
 * One worker process of the cluster benchmark: the library's cluster
 * worker, as `leadgraph worker` runs it (`Cluster.layer` as a runner on
 * 127.0.0.1:`port` and `CompanyEnrichmentEntity.layer` over the
 * environment in cluster mode), on the trial's scaled clock. Tells the
 * parent when it has joined; measures its CPU (by thread) from `Go` to
 * `Stop`, reports it with the companies it enriched, then leaves the
 * cluster and exits.
 */
import { Cluster, CompanyEnrichmentEntity } from "@leadgraph/adapters"
import { FakeOdooServer } from "@leadgraph/adapters/testing"
import { Cause, Duration, Effect, Layer, Logger, LogLevel, Metric, MetricState } from "effect"
import * as ScaledClock from "../pipeline/ScaledClock.js"
import * as Threads from "../pipeline/Threads.js"
import { vendorOptions } from "../pipeline/WorldThread.js"
import { odooSecret } from "../pipeline/benchTenant.js"
import { environment, receive, send, type Trial, type Urls } from "./common.js"

/** What a worker reports on `Stop`. */
export interface WorkerReport {
  readonly pid: number
  readonly port: number
  /** Companies this worker enriched between `Go` and `Stop` (its `company enriched` logs). */
  readonly enriched: number
  readonly cpu: Threads.ThreadCpu
  readonly warningCount: number
  readonly warnings: ReadonlyArray<string>
  /** Turns of a shared rate limit this worker woke too late for and let go, by vendor (`leadgraph_rate_limit_late_retakes`). */
  readonly lateRetakes: Readonly<Record<string, number>>
}

/** This process's `leadgraph_rate_limit_late_retakes`, summed by vendor (the limit key's second part). */
const lateRetakes = Effect.map(Metric.snapshot, (pairs) => {
  const byVendor: Record<string, number> = {}
  for (const pair of pairs) {
    if (pair.metricKey.name !== "leadgraph_rate_limit_late_retakes") continue
    if (!MetricState.isCounterState(pair.metricState)) continue
    const key = pair.metricKey.tags.find((t) => t.key === "key")?.value ?? ""
    const vendor = key.split(":")[1] ?? key
    byVendor[vendor] = (byVendor[vendor] ?? 0) + Number(pair.metricState.count)
  }
  return byVendor
})

let enriched = 0
let counting = false
let warningCount = 0
const warnings: Array<string> = []
const logger = Logger.make(({ cause, logLevel, message }) => {
  const text = String(Array.isArray(message) ? message[0] : message)
  if (counting && text === "company enriched") enriched++
  if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
    warningCount++
    const why = Cause.isEmpty(cause) ? "" : ` (${Cause.pretty(cause).split("\n")[0]})`
    if (warnings.length < 5) warnings.push(`${logLevel.label}: ${text.slice(0, 200)}${why.slice(0, 300)}`)
  }
})

/** Runs a worker of `trial` on `port`, reaching the world at `urls`. */
export const main = async (trial: Trial, port: number, urls: Urls) => {
  process.env[odooSecret] = FakeOdooServer.defaults.password
  Threads.tagParseWorkers()
  const scaled = ScaledClock.make(trial.factor, trial.origin)
  const worker = CompanyEnrichmentEntity.layer({ concurrency: trial.concurrency }).pipe(
    Layer.provideMerge(Cluster.layer({
      runner: { host: "127.0.0.1", port },
      lease: Duration.seconds(trial.cluster.leaseSeconds),
      pollInterval: Duration.seconds(trial.cluster.pollSeconds)
    })),
    Layer.provide(environment(trial, vendorOptions(urls, trial.real, undefined)))
  )
  const program = Effect.scoped(Effect.gen(function*() {
    yield* Layer.build(worker)
    yield* send({ _tag: "Joined" })
    yield* receive("Go")
    counting = true
    const threads = Threads.start(undefined)
    yield* receive("Stop")
    const report: WorkerReport = {
      pid: process.pid,
      port,
      enriched,
      cpu: threads.stop(),
      warningCount,
      warnings,
      lateRetakes: yield* lateRetakes
    }
    yield* send({ _tag: "Stopped", report })
  }))
  await Effect.runPromise(program.pipe(
    Effect.withClock(scaled.clock),
    Effect.provide(Logger.replace(Logger.defaultLogger, logger))
  ))
}
