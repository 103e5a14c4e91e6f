/**
 * The cluster through a Postgres restart, end to end, with the real binary
 * (the processes: clusterProcesses.ts). Three workers and a run reach
 * Postgres through a TCP proxy (packages/adapters/test/store/pgProxy.ts): mid-run, once six companies
 * are done, every connection is dropped and new ones are refused for a few
 * seconds (what clients see while Postgres restarts). The workers and the
 * run reconnect, the run exits 0, every company terminal, one record each;
 * repeated paid calls <= calls in flight during the outage; no host had two
 * requests open at once nor two closer than its Crawl-delay.
 *
 * It prints one summary line with its numbers. Postgres only: without
 * `DATABASE_URL` the test does not run.
 */
import { describe, expect, it } from "vitest"
import { companies, crawlDelay, postgres, stop, summaryOf, warningsOf, when, withCluster } from "./clusterProcesses.js"
import { checkVendorsAndHosts, companyRecords, seconds } from "./faults.js"

const outageMs = 4000
if (!postgres) console.log("cluster outage test not run: it needs DATABASE_URL (a Postgres every worker shares)")

describe("acceptance: the cluster's faults on Postgres", () => {
  it.runIf(postgres)(
    "Postgres restarting mid-run: workers and the run reconnect, the run finishes, every company terminal",
    () =>
      withCluster({ name: "cluster_pg", seed: 6, proxy: true }, async ({ databaseUrl, done, fakes, journal, proxy, startRun, webLog, workers }) => {
        const startedAt = Date.now()
        const run = startRun()
        await when(run, "the outage", () => done() >= 6)
        const doneBefore = done()
        const outage = { from: Date.now(), to: 0 }
        const before = proxy!.counts()
        await proxy!.outage(outageMs)
        outage.to = Date.now()
        const during = proxy!.counts()

        const code = await run.exited
        const finishedAt = Date.now()
        expect(code, run.stderr()).toBe(0)
        expect(workers.map((w) => w.child.process.exitCode), "a worker died").toEqual(workers.map(() => null))
        const summary = summaryOf(run)
        const records = await companyRecords(databaseUrl, "cluster", summary.runId)
        expect(records).toHaveLength(companies)
        expect(new Set(records.map((r) => r.companyId)).size).toBe(companies)
        const afterOutage = workers.flatMap((w) => w.enriched).filter((e) => e.at > outage.to).length
        expect(afterOutage).toBeGreaterThan(0)

        const warnings = warningsOf([...workers.map((w) => w.child), run])
        await stop(workers, fakes)
        const checked = checkVendorsAndHosts(journal, webLog, [outage], { crawlDelay })
        console.log(
          `cluster fault test, Postgres restart: ${companies} companies (${summary.succeeded} succeeded, ${summary.partial} partial, ` +
            `${summary.failed} failed; ${records.length} records); ${during.dropped - before.dropped} connections dropped and ` +
            `${during.refused - before.refused} refused during a ${seconds(0, outageMs)} s outage ${seconds(startedAt, outage.from)} s ` +
            `into the run (${doneBefore} done before it); per worker ${workers.map((w) => `${w.name} ${w.enriched.length}`).join(", ")}; ` +
            `${afterOutage} done after it; run finished ${seconds(outage.to, finishedAt)} s after the outage ` +
            `(${seconds(startedAt, finishedAt)} s in all); ${checked.repeats}; ${checked.politeness}; ${warnings.length} warnings`
        )
      }),
    150_000
  )
})
