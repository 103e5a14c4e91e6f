/**
 * The cluster, end to end, with the real binary: `leadgraph fakes` serves
 * the fake vendors and fixture sites and seeds a tenant with 24 companies;
 * three `leadgraph worker` processes join the cluster on a scratch schema
 * of Postgres; `leadgraph run --cluster` hands each company to them as a
 * persisted message. Once six companies are done, the worker that has
 * enriched one of them is SIGKILLed; the others take its shards over and
 * finish its companies. Then:
 *
 * - the run exits 0 and its report counts every company, each terminal;
 * - work was spread over more than one worker before the kill;
 * - every company was enriched by some worker (the killed one before the
 *   kill, or a survivor), and survivors enriched companies after the kill;
 * - SIGTERM stops the survivors cleanly.
 *
 * Cluster timings are shortened for the test (`LEADGRAPH_CLUSTER_LEASE_SECONDS=3`:
 * a dead worker's heartbeat expires after 3 seconds, health checks every second; messages polled
 * every second). Postgres only: the cluster needs a database every process
 * shares, so without `DATABASE_URL` the test does not run.
 */
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { baseEnv, type Child, cleanUp, scratch, start, startFakes } from "./cli.js"

const companies = 24
const killAfter = 6
const postgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ""
if (!postgres) console.log("cluster acceptance test not run: it needs DATABASE_URL (a Postgres every worker shares)")

/** A free port on 127.0.0.1. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

interface Enriched {
  readonly company: string
  readonly at: number
}

const enrichedOf = (line: string): string | undefined => {
  if (!line.startsWith("{")) return undefined
  try {
    const event = JSON.parse(line) as { message?: string; annotations?: Record<string, unknown> }
    return event.message === "company enriched" ? String(event.annotations?.["company"]) : undefined
  } catch {
    return undefined
  }
}

describe("acceptance: leadgraph worker cluster on Postgres", () => {
  it.runIf(postgres)("three workers, a run in cluster mode, one worker SIGKILLed mid-run: the others finish its companies", async () => {
    const work = mkdtempSync(join(tmpdir(), "lg-cluster-"))
    const database = await scratch("cluster", process.env.DATABASE_URL!)
    const env = { ...baseEnv(), DATABASE_URL: database.url }
    const children: Array<Child> = []
    try {
      const { env: fakeEnv, fakes } = await startFakes([
        "--seed", "5", "--sites", String(companies), "--tenant", "cluster",
        "--companies", String(companies), "--latency", "20-150"
      ], { cwd: work, env })
      children.push(fakes)
      const clusterEnv = {
        ...env,
        ...fakeEnv,
        CRAWLER_MIN_DELAY_MS: "20",
        SCHED_COMPANY_CONCURRENCY: "4",
        LEADGRAPH_BUDGET_LEASE_SECONDS: "2",
        LEADGRAPH_CLUSTER_LEASE_SECONDS: "3",
        LEADGRAPH_CLUSTER_POLL_SECONDS: "1"
      }
      const workers: Array<{ readonly child: Child; readonly port: number; readonly enriched: Array<Enriched> }> = []
      for (let i = 0; i < 3; i++) {
        const port = await freePort()
        const child = start(["worker", "--host", "127.0.0.1", "--port", String(port)], { cwd: work, env: clusterEnv })
        children.push(child)
        const enriched: Array<Enriched> = []
        child.onLog((line) => {
          const company = enrichedOf(line)
          if (company !== undefined) enriched.push({ company, at: Date.now() })
        })
        workers.push({ child, port, enriched })
      }
      await Promise.all(workers.map((w) => w.child.waitFor((line) => line.startsWith("leadgraph worker: in the cluster as"))))

      const startedAt = Date.now()
      const run = start(["run", "--tenant", "cluster", "--cluster"], { cwd: work, env: clusterEnv })
      children.push(run)
      const done = () => workers.reduce((n, w) => n + w.enriched.length, 0)
      let killedAt: number | undefined
      let victim: (typeof workers)[number] | undefined
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (run.process.exitCode !== null) {
            clearInterval(timer)
            reject(new Error(`the run ended before the kill: ${run.stderr()}`))
          } else if (done() >= killAfter) {
            clearInterval(timer)
            victim = workers.find((w) => w.enriched.length > 0)!
            victim.child.process.kill("SIGKILL")
            killedAt = Date.now()
            resolve()
          }
        }, 25)
      })
      const spreadBeforeKill = workers.filter((w) => w.enriched.length > 0).length
      const code = await run.exited
      const finishedAt = Date.now()
      expect(code, run.stderr()).toBe(0)
      expect(await victim!.child.exited).toBe("SIGKILL")

      const outcome = run.lines.map((l) => /^run (\S+): (\d+) targets, (\d+) succeeded, (\d+) partial, (\d+) failed/.exec(l))
        .find((m) => m !== null)
      expect(outcome, run.lines.join("\n")).toBeDefined()
      const [, , targets, succeeded, partial, failed] = outcome!
      expect(Number(targets)).toBe(companies)
      expect(Number(succeeded) + Number(partial) + Number(failed)).toBe(companies)
      expect(run.lines.some((l) => /^cluster\s+(succeeded|partial)\s/.test(l)), run.lines.join("\n")).toBe(true)

      const survivors = workers.filter((w) => w !== victim)
      const byVictim = new Set(victim!.enriched.map((e) => e.company))
      const bySurvivors = new Set(survivors.flatMap((w) => w.enriched.map((e) => e.company)))
      const all = new Set([...byVictim, ...bySurvivors])
      expect(spreadBeforeKill).toBeGreaterThan(1)
      expect(all.size).toBe(companies)
      expect(survivors.flatMap((w) => w.enriched).filter((e) => e.at > killedAt!).length).toBeGreaterThan(0)
      const afterKill = survivors.flatMap((w) => w.enriched).filter((e) => e.at > killedAt!).length

      const first = Math.min(...workers.flatMap((w) => w.enriched.map((e) => e.at)))
      const warnings = survivors.flatMap((w) => w.child.logs.filter((l) => /"logLevel":"(WARN|ERROR|FATAL)"/.test(l)))
      for (const w of survivors) w.child.process.kill("SIGTERM")
      const stopped = await Promise.all(survivors.map((w) => w.child.exited))
      expect(stopped).toEqual(survivors.map(() => 0))
      console.log(
        `cluster test: ${companies} companies, ${succeeded} succeeded, ${partial} partial, ${failed} failed; ` +
          `per worker ${workers.map((w) => `${w.port}${w === victim ? " (killed)" : ""}: ${w.enriched.length}`).join(", ")}; ` +
          `first company done ${((first - startedAt) / 1000).toFixed(1)} s after the run started; ` +
          `${warnings.length} warnings on the survivors${warnings.length === 0 ? "" : ` (${warnings.slice(0, 3).join(" | ")})`}; ` +
          `killed after ${killAfter} done, ${((killedAt! - startedAt) / 1000).toFixed(1)} s into the run; ` +
          `${afterKill} companies done by the survivors after it, ` +
          `run finished +${((finishedAt - killedAt!) / 1000).toFixed(1)} s after the kill (${((finishedAt - startedAt) / 1000).toFixed(1)} s in all)`
      )
    } finally {
      await cleanUp(children, "SIGKILL", database, work)
    }
  }, 120_000)
})
