/**
 * What the cluster benchmark's processes share: a trial's options, the two
 * regimes' real-scale parameters, the environment every process builds
 * (the library's `Environment.layer` in cluster mode, over the trial's
 * schema, with the scaled clock for the shared coordination), and a small
 * inbox for the parent's IPC messages.
 */
import { Database, Environment, Resolver, type Vendors } from "@leadgraph/adapters"
import { Duration, Effect, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { ticksPerSecond } from "../pipeline/Threads.js"
import { caps } from "../pipeline/benchTenant.js"
import { real, type Real } from "../pipeline/bounds.js"
import type * as World from "../pipeline/world.js"

/** The two regimes: vendor limits as the pipeline bench sets them, or raised (and latencies lowered) so CPU binds. */
export type Regime = "limits" | "cpu"

/**
 * The real-scale parameters of a regime: `limits` is the pipeline bench's
 * {@link real}; `cpu` raises every limit 100 times and divides latencies,
 * the crawl's page time and politeness gaps by 10 (no Crawl-delay), so the
 * vendors no longer bind and the processes' CPU does.
 */
export const realOf = (regime: Regime): Real =>
  regime === "limits" ? real : {
    jitter: real.jitter,
    crawl: { pageMillis: real.crawl.pageMillis / 10, crawlDelaySeconds: 0, minDelayMillis: real.crawl.minDelayMillis / 10 },
    tavily: { millis: real.tavily.millis / 10, perMinute: real.tavily.perMinute * 100 },
    openAi: { millis: real.openAi.millis / 10, perMinute: real.openAi.perMinute * 100 },
    lusha: { millis: real.lusha.millis / 10, perMinute: real.lusha.perMinute * 100 },
    zeroBounce: { batchMillis: real.zeroBounce.batchMillis / 10 },
    odoo: { millis: real.odoo.millis / 10, clientPerSecond: real.odoo.clientPerSecond * 100 }
  }

/** One trial: a regime, a number of worker processes, one run. */
export interface Trial {
  readonly regime: Regime
  readonly workers: number
  readonly companies: number
  readonly factor: number
  /** Companies in flight across the cluster (the run's `concurrency`), and per worker (`SCHED_COMPANY_CONCURRENCY`). */
  readonly concurrency: number
  readonly seed: number
  /** Epoch milliseconds every process's scaled clock starts from, so they agree. */
  readonly origin: number
  /** The trial's schema (the cluster's tables are in `<schema>_cluster`). */
  readonly schema: string
  readonly real: Real
  /** Each process's Postgres pool (`Database.layerUrl`'s `maxConnections`; 10, its default, as `leadgraph worker` has). */
  readonly pool: number
  /** The cluster's lease and poll interval, in seconds of the scaled clock. */
  readonly cluster: { readonly leaseSeconds: number; readonly pollSeconds: number }
  /** The worker processes' niceness (0: as the bench itself), so that the world (the fakes' clocks) is not starved by them. */
  readonly workerNice: number
}

/**
 * The environment of every process of a trial, as `leadgraph worker` and
 * `leadgraph run --cluster` build it: `Environment.layer` with
 * `coordination: "database"`, over the trial's schema. The shared rate
 * limits and politeness take their time from the process's `Clock` (the
 * scaled clock every process starts from the same origin) instead of the
 * database's: see the header of bench/cluster.ts.
 */
export const environment = (trial: Trial, vendors: Vendors.Options) => {
  const migrationUrl = process.env.MIGRATION_DATABASE_URL
  return Environment.layer({
    vendors,
    caps,
    database: Database.layerUrl({
      url: Redacted.make(process.env.DATABASE_URL ?? ""),
      schema: trial.schema,
      maxConnections: trial.pool,
      ...(migrationUrl === undefined || migrationUrl === "" ? {} : { migrationUrl: Redacted.make(migrationUrl) })
    }),
    coordination: "database",
    crawler: {
      allowAddresses: ["127.0.0.1/32"],
      defaultScheme: "http",
      minDelay: Duration.millis(trial.real.crawl.minDelayMillis)
    },
    resolver: Resolver.layerStatic({ "*.test": "127.0.0.1" }),
    odoo: { rateLimit: { limit: trial.real.odoo.clientPerSecond, interval: "1 second" } },
    politeness: { clock: "effect" },
    rateLimits: { clock: "effect" }
  })
}

/** The world's URLs, as the dispatcher hands them to the workers. */
export type Urls = World.Ready["urls"]

/** Messages between the parent and its children (over the IPC channel). */
export type Message =
  | { readonly _tag: "Ready"; readonly urls: Urls; readonly worldTid: number | undefined }
  | { readonly _tag: "Joined" }
  | { readonly _tag: "Go" }
  | { readonly _tag: "Progress"; readonly done: number; readonly total: number; readonly wallMillis: number }
  | { readonly _tag: "Done"; readonly out: string }
  | { readonly _tag: "Stop" }
  | { readonly _tag: "Stopped"; readonly report: unknown }
  | { readonly _tag: "Drop" }

const queued: Array<Message> = []
const waiting: Array<{ readonly tag: Message["_tag"]; readonly resume: (m: Message) => void }> = []
let listening = false

/** Waits for the next message from the parent with this tag (messages that came earlier are kept). */
export const receive = <T extends Message["_tag"]>(tag: T): Effect.Effect<Extract<Message, { readonly _tag: T }>> =>
  Effect.async((resume) => {
    if (!listening) {
      listening = true
      process.on("message", (m: Message) => {
        const i = waiting.findIndex((w) => w.tag === m._tag)
        if (i >= 0) waiting.splice(i, 1)[0]!.resume(m)
        else queued.push(m)
      })
    }
    const i = queued.findIndex((m) => m._tag === tag)
    if (i >= 0) return resume(Effect.succeed(queued.splice(i, 1)[0] as Extract<Message, { readonly _tag: T }>))
    const entry = { tag, resume: (m: Message) => resume(Effect.succeed(m as Extract<Message, { readonly _tag: T }>)) }
    waiting.push(entry)
    return Effect.sync(() => {
      const j = waiting.indexOf(entry)
      if (j >= 0) waiting.splice(j, 1)
    })
  })

/** Sends a message to the parent. */
export const send = (m: Message): Effect.Effect<void> => Effect.sync(() => void process.send?.(m))

/** CPU milliseconds (user + system) of a process, from `/proc/<pid>/stat`, or `undefined` if it is gone (or off Linux). */
export const processCpuMillis = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond()
  } catch {
    return undefined
  }
}
