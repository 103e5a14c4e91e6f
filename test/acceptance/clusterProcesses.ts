/**
 * The processes of the cluster's fault tests (clusterKill.test.ts and
 * clusterOutage.test.ts), on Postgres: `leadgraph fakes` (the fake vendors
 * and fixture sites, each robots.txt with a `Crawl-delay`, journalling what
 * the vendors bill and writing the sites' access log), three `leadgraph
 * worker` processes in the cluster on a scratch schema, and `leadgraph run
 * --cluster`, which hands each company to them; what the workers log (the
 * companies each took and enriched, its drain), and the run's summary.
 *
 * Cluster timings are shortened (`LEADGRAPH_CLUSTER_LEASE_SECONDS=3`,
 * messages polled every second).
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect } from "vitest"
import { freePort } from "../../bench/cluster/freePort.js"
import { baseEnv, type Child, cleanUp, scratch, start, startFakes } from "./cli.js"
import { logEvent } from "./faults.js"
import { type PgProxy, startPgProxy } from "../../packages/adapters/test/store/pgProxy.js"

/** The tenant's companies (and fixture sites). */
export const companies = 24
/** The sites' `Crawl-delay`, in seconds. */
export const crawlDelay = 0.4

/** True when `DATABASE_URL` names a Postgres every process can share: the cluster needs one, so the tests run only then. */
export const postgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ""

/** A company a worker took or enriched, when (epoch ms) and at which of its log lines. */
export interface Event {
  readonly company: string
  readonly at: number
  /** The index of the log line. */
  readonly line: number
}

/** A `leadgraph worker` process and what its log said so far. */
export interface Worker {
  readonly name: string
  readonly child: Child
  readonly taken: Array<Event>
  readonly enriched: Array<Event>
  /** The index of the log line that says it drains, once it does. */
  drainLine?: number
}

type Options = { readonly cwd: string; readonly env: NodeJS.ProcessEnv }

const startWorker = async (name: string, options: Options): Promise<Worker> => {
  const port = await freePort()
  const child = start(["worker", "--host", "127.0.0.1", "--port", String(port)], options)
  const worker: Worker = { name, child, taken: [], enriched: [] }
  let line = 0
  child.onLog((text) => {
    const index = line++
    const event = logEvent(text)
    const company = String(event?.annotations?.["company"])
    if (event?.message === "company taken") worker.taken.push({ company, at: Date.now(), line: index })
    else if (event?.message === "company enriched") worker.enriched.push({ company, at: Date.now(), line: index })
    else if (typeof event?.message === "string" && event.message.startsWith("draining")) worker.drainLine ??= index
  })
  return worker
}

/** Resolves once the worker has joined the cluster. */
export const inCluster = (w: Worker) => w.child.waitFor((line) => line.startsWith("leadgraph worker: in the cluster as"))

/** Resolves when `test` holds (checked every 25 ms); rejects if the run ends first. */
export const when = (run: Child, what: string, test: () => boolean) =>
  new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (test()) {
        clearInterval(timer)
        resolve()
      } else if (run.process.exitCode !== null) {
        clearInterval(timer)
        reject(new Error(`the run ended before ${what}: ${run.stderr()}`))
      }
    }, 25)
  })

/** The run's summary line: its id and counts; its counts cover every company. */
export const summaryOf = (run: Child) => {
  const m = run.lines.map((l) => /^run (\S+): (\d+) targets, (\d+) succeeded, (\d+) partial, (\d+) failed/.exec(l))
    .find((x) => x !== null)
  expect(m, run.lines.join("\n")).toBeDefined()
  const [, runId, targets, succeeded, partial, failed] = m!
  const summary = { runId: runId!, targets: Number(targets), succeeded: Number(succeeded), partial: Number(partial), failed: Number(failed) }
  expect(summary.targets).toBe(companies)
  expect(summary.succeeded + summary.partial + summary.failed).toBe(companies)
  return summary
}

/** The children's log lines at WARN or above. */
export const warningsOf = (children: ReadonlyArray<Child>) =>
  children.flatMap((c) => c.logs.filter((l) => /"logLevel":"(WARN|ERROR|FATAL)"/.test(l)))

/** What a scenario sets: its names, the fakes' seed, what the workers' environment adds, and whether they reach Postgres through a proxy. */
export interface Scenario {
  /** The work folder's prefix and the scratch schema's. */
  readonly name: string
  readonly seed: number
  readonly env?: NodeJS.ProcessEnv | undefined
  /** The workers and the run reach Postgres through a {@link PgProxy} (the fakes do not). */
  readonly proxy?: boolean | undefined
}

/** The running fakes and workers of a scenario. */
export interface Cluster {
  readonly databaseUrl: string
  readonly proxy: PgProxy | undefined
  readonly fakes: Child
  /** The fakes' journal of billed calls and the sites' access log. */
  readonly journal: string
  readonly webLog: string
  /** The workers, in the order they were started. */
  readonly workers: Array<Worker>
  /** Companies enriched so far, by every worker. */
  readonly done: () => number
  /** Starts another worker (it is in `workers` at once). */
  readonly addWorker: (name: string) => Promise<Worker>
  /** Starts `leadgraph run --cluster`, handing out up to 12 companies at once (each worker's own limit, 4, binds). */
  readonly startRun: () => Child
}

/**
 * Starts the fakes and three workers (w1 to w3) on a scratch schema, waits
 * until every worker is in the cluster, runs `body`, then kills whatever
 * still runs and drops the schema.
 */
export const withCluster = async (scenario: Scenario, body: (cluster: Cluster) => Promise<void>): Promise<void> => {
  const work = mkdtempSync(join(tmpdir(), `lg-${scenario.name.replace(/_/g, "-")}-`))
  const database = await scratch(scenario.name, process.env.DATABASE_URL!)
  const proxy = scenario.proxy === true ? await startPgProxy(database.url) : undefined
  const env = { ...baseEnv(), DATABASE_URL: database.url }
  const journal = join(work, "billed.jsonl")
  const webLog = join(work, "web.jsonl")
  const children: Array<Child> = []
  try {
    const { env: fakeEnv, fakes } = await startFakes([
      "--seed", String(scenario.seed), "--sites", String(companies), "--tenant", "cluster", "--companies", String(companies),
      "--latency", "20-150", "--journal", journal, "--web-log", webLog, "--crawl-delay", String(crawlDelay)
    ], { cwd: work, env })
    children.push(fakes)
    const clusterEnv = {
      ...env,
      ...fakeEnv,
      ...(proxy === undefined ? {} : { DATABASE_URL: proxy.via(database.url) }),
      ...scenario.env,
      CRAWLER_MIN_DELAY_MS: "20",
      SCHED_COMPANY_CONCURRENCY: "4",
      LEADGRAPH_BUDGET_LEASE_SECONDS: "2",
      LEADGRAPH_CLUSTER_LEASE_SECONDS: "3",
      LEADGRAPH_CLUSTER_POLL_SECONDS: "1"
    }
    const options = { cwd: work, env: clusterEnv }
    const workers = await Promise.all(["w1", "w2", "w3"].map((name) => startWorker(name, options)))
    children.push(...workers.map((w) => w.child))
    await Promise.all(workers.map(inCluster))
    await body({
      databaseUrl: database.url,
      proxy,
      fakes,
      journal,
      webLog,
      workers,
      done: () => workers.reduce((n, w) => n + w.enriched.length, 0),
      addWorker: async (name) => {
        const worker = await startWorker(name, options)
        children.push(worker.child)
        workers.push(worker)
        return worker
      },
      startRun: () => {
        const run = start(["run", "--tenant", "cluster", "--cluster"], { cwd: work, env: { ...clusterEnv, SCHED_COMPANY_CONCURRENCY: "12" } })
        children.push(run)
        return run
      }
    })
  } finally {
    await cleanUp(children, "SIGKILL", database, work)
    await proxy?.close()
  }
}

/** Sends SIGTERM to the workers (each must exit 0), then stops the fakes (their journal and access log are whole after). */
export const stop = async (workers: ReadonlyArray<Worker>, fakes: Child) => {
  for (const w of workers) w.child.process.kill("SIGTERM")
  expect(await Promise.all(workers.map((w) => w.child.exited))).toEqual(workers.map(() => 0))
  fakes.process.kill("SIGTERM")
  await fakes.exited
}
