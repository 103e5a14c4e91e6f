/**
 * The outside world of the pipeline benchmark, in a worker thread: the
 * fixture company sites and the five fake vendors, with the benchmark's
 * latencies and rate limits, on the same scaled clock as the run (same
 * origin, same factor). In a thread of their own they take no CPU from the
 * process under test, as real vendors would not.
 *
 * Protocol: the worker posts `{ _tag: "Ready", ... }` with the URLs; the
 * parent posts `"stats"` to get the counters and the crawl log, then
 * `"stop"`.
 */
import { FakeVendors, FixtureWeb } from "@leadgraph/adapters/testing"
import { Deferred, Duration, Effect, Queue } from "effect"
import { parentPort, workerData } from "node:worker_threads"
import * as ScaledClock from "./ScaledClock.js"
import { currentTid } from "./Threads.js"
import type { Real } from "./bounds.js"

/** What the worker is started with. */
export interface WorldOptions {
  readonly seed: number
  readonly companies: number
  readonly factor: number
  readonly origin: number
  readonly zbBatchesPerMinute: number | undefined
  readonly real: Real
}

/** What the worker posts once it listens. */
export interface Ready {
  readonly _tag: "Ready"
  readonly fixturePort: number
  /** This thread's tid (`/proc/thread-self`), so the parent can read its CPU; `undefined` off Linux. */
  readonly tid: number | undefined
  readonly companies: ReadonlyArray<{ readonly host: string; readonly name: string; readonly crawlDelay: boolean }>
  readonly urls: { readonly tavily: string; readonly lusha: string; readonly zeroBounce: string; readonly odoo: string; readonly openAi: string }
}

/** The counters and logs the worker posts on `"stats"`. */
export interface Stats {
  readonly _tag: "Stats"
  readonly fakeCalls: Record<string, Readonly<Record<string, number>>>
  readonly served: { readonly completions: number; readonly promptTokens: number; readonly completionTokens: number; readonly totalTokens: number }
  readonly odooMethods: Readonly<Record<string, number>>
  readonly exported: { readonly partners: number; readonly leads: number }
  readonly crawlLog: ReadonlyArray<{ readonly host: string; readonly time: number; readonly status: number }>
  readonly eventLoopUtilization: number
  /** Every request's arrival at the rate-limited fakes, by vendor (`tavily`, `lusha`, `zerobounce`, `openai`). */
  readonly arrivals: Record<string, ReadonlyArray<{ readonly endpoint: string; readonly at: number }>>
}

const o = workerData as WorldOptions
const port = parentPort!
const around = (millis: number) => ({
  min: Duration.millis(millis * (1 - o.real.jitter)),
  max: Duration.millis(millis * (1 + o.real.jitter))
})

const program = Effect.gen(function*() {
  const web = yield* FixtureWeb.make({
    seed: o.seed,
    count: o.companies,
    latency: Duration.millis(o.real.crawl.pageMillis),
    crawlDelaySeconds: o.real.crawl.crawlDelaySeconds
  })
  const fakes = yield* FakeVendors.make({
    seed: o.seed,
    tavily: { latency: around(o.real.tavily.millis), rateLimit: { limit: o.real.tavily.perMinute, interval: "1 minute" } },
    lusha: { latency: around(o.real.lusha.millis), rateLimit: { limit: o.real.lusha.perMinute, interval: "1 minute" } },
    zeroBounce: {
      latency: around(o.real.zeroBounce.batchMillis),
      ...(o.zbBatchesPerMinute === undefined ? {} : { rateLimit: { limit: o.zbBatchesPerMinute, interval: "1 minute" } })
    },
    odoo: { latency: around(o.real.odoo.millis) },
    openAi: { latency: around(o.real.openAi.millis), rateLimit: { limit: o.real.openAi.perMinute, interval: "1 minute" } }
  })
  const messages = yield* Queue.unbounded<string>()
  const stopped = yield* Deferred.make<void>()
  // @effect-diagnostics-next-line runEffectInsideEffect:off -- a worker port callback, outside any fiber
  port.on("message", (m: string) => Effect.runSync(Queue.offer(messages, m)))
  port.postMessage({
    _tag: "Ready",
    fixturePort: web.port,
    tid: currentTid(),
    companies: web.companies.map((c) => ({
      host: c.host,
      name: c.name,
      // FixtureWeb adds the Crawl-delay to a robots.txt it makes, or to its `User-agent: *` group
      crawlDelay: c.robots === undefined || /^User-agent: \*$/m.test(c.robots)
    })),
    urls: {
      tavily: fakes.tavily.url,
      lusha: fakes.lusha.url,
      zeroBounce: fakes.zeroBounce.url,
      odoo: fakes.odoo.url,
      openAi: fakes.openAi.baseURL
    }
  } satisfies Ready)
  const elu0 = performance.eventLoopUtilization()
  yield* Effect.gen(function*() {
    const m = yield* Queue.take(messages)
    if (m === "stop") return yield* Deferred.succeed(stopped, undefined)
    if (m === "clear") return yield* web.clearLog
    const log = yield* web.log
    const stats: Stats = {
      _tag: "Stats",
      fakeCalls: {
        tavily: yield* fakes.tavily.calls,
        lusha: yield* fakes.lusha.calls,
        zerobounce: yield* fakes.zeroBounce.calls,
        openai: yield* fakes.openAi.calls,
        odoo: yield* fakes.odoo.calls
      },
      served: yield* fakes.openAi.served,
      odooMethods: yield* fakes.odoo.methodCalls,
      exported: { partners: fakes.odoo.db.all("res.partner").length, leads: fakes.odoo.db.all("crm.lead").length },
      crawlLog: log.map((e) => ({ host: e.host, time: e.time, status: e.status })),
      eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization,
      arrivals: {
        tavily: yield* fakes.tavily.arrivals(),
        lusha: yield* fakes.lusha.arrivals(),
        zerobounce: yield* fakes.zeroBounce.arrivals(),
        openai: yield* fakes.openAi.arrivals()
      }
    }
    port.postMessage(stats)
  }).pipe(Effect.forever, Effect.raceFirst(Deferred.await(stopped)))
}).pipe(Effect.scoped)

const scaled = ScaledClock.make(o.factor, o.origin)
Effect.runPromise(program.pipe(Effect.withClock(scaled.clock))).then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
