/**
 * The cluster losing workers, end to end, with the real binary on Postgres
 * (the processes: clusterProcesses.ts). Vendor limits are set low enough
 * that they bind (they space the calls), and are shared through the
 * database.
 *
 * Three workers; once four companies are done, one that has enriched a
 * company is SIGKILLed, and a fourth worker is started; once half the
 * companies are done, another of the first three is sent SIGTERM. Then:
 * - SIGKILL: the run exits 0, its summary counts every company, each
 *   terminal, with one record per company; every company was enriched;
 *   per vendor, repeated paid calls <= calls in flight at the kill, and
 *   each repeat is of a call that was; no vendor's aggregate arrivals
 *   ever beat its spacing, nor a minute its limit; no host had two requests open at once
 *   nor two closer than its Crawl-delay.
 * - the fourth worker enriched at least one company;
 * - SIGTERM: the worker exits 0, starts no company after it began to
 *   drain, its running companies finish there (or are handed over), and
 *   no company it finished is enriched again elsewhere.
 *
 * It prints one summary line per fault with its numbers. Postgres only:
 * without `DATABASE_URL` the test does not run.
 */
import { describe, expect, it } from "vitest"
import {
  companies,
  crawlDelay,
  inCluster,
  postgres,
  stop,
  summaryOf,
  warningsOf,
  when,
  withCluster,
  type Worker
} from "./clusterProcesses.js"
import { checkVendorsAndHosts, companyRecords, seconds } from "./faults.js"

const killAfter = 4
/** Client-side limits per minute, spaced (one call every `(60 s + 1 s) / limit`), low enough to bind. */
// (a run of 24 companies calls Lusha about 25 times, OpenAI about 48 and ZeroBounce about 220, Tavily only
// for a thin corpus, twice or so, which no limit can bind: Lusha's calls take about 25 s, OpenAI's 24 s;
// ZeroBounce's limit is shared too, but high enough not to bind, 11 s for its calls)
const limits = { lusha: 60, zerobounce: 1200, openai: 120 } as const
const binding = ["lusha", "openai"]
if (!postgres) console.log("cluster kill test not run: it needs DATABASE_URL (a Postgres every worker shares)")

describe("acceptance: the cluster's faults on Postgres", () => {
  it.runIf(postgres)(
    "SIGKILL one of three workers, start a fourth, SIGTERM another: every company terminal once, limits and politeness kept",
    () =>
      withCluster({
        name: "cluster",
        seed: 5,
        env: {
          LUSHA_REQUESTS_PER_MINUTE: String(limits.lusha),
          ZEROBOUNCE_VALIDATIONS_PER_MINUTE: String(limits.zerobounce),
          OPENAI_REQUESTS_PER_MINUTE: String(limits.openai),
          // a drain waits for the companies running, which the binding limits slow down
          LEADGRAPH_STOP_GRACE_SECONDS: "120"
        }
      }, async ({ addWorker, databaseUrl, done, fakes, journal, startRun, webLog, workers }) => {
        const startedAt = Date.now()
        const run = startRun()
        await when(run, "the kill", () => done() >= killAfter)
        const victim = workers.find((w) => w.enriched.length > 0)!
        victim.child.process.kill("SIGKILL")
        const killedAt = Date.now()
        const fourth = await addWorker("w4")
        const joining = Date.now()
        await inCluster(fourth)
        const joinedAt = Date.now()

        await when(run, "the SIGTERM", () => done() >= companies / 2)
        const running = (w: Worker) => w.taken.filter((t) => !w.enriched.some((e) => e.company === t.company && e.at >= t.at)).length
        const drained = workers.filter((w) => w !== victim && w !== fourth).sort((a, b) => running(b) - running(a))[0]!
        const runningAtTerm = drained.taken.filter((t) => !drained.enriched.some((e) => e.company === t.company)).map((t) => t.company)
        drained.child.process.kill("SIGTERM")
        const termAt = Date.now()
        const drainedCode = await drained.child.exited
        const drainedExitAt = Date.now()

        const code = await run.exited
        const finishedAt = Date.now()
        expect(code, run.stderr()).toBe(0)
        expect(await victim.child.exited).toBe("SIGKILL")
        expect(drainedCode, drained.child.stderr()).toBe(0)

        const summary = summaryOf(run)
        expect(run.lines.some((l) => /^cluster\s+(succeeded|partial)\s/.test(l)), run.lines.join("\n")).toBe(true)
        const records = await companyRecords(databaseUrl, "cluster", summary.runId)
        expect(records).toHaveLength(companies)
        expect(new Set(records.map((r) => r.companyId)).size).toBe(companies)
        expect(records.every((r) => ["succeeded", "partial", "failed"].includes(r.status))).toBe(true)

        // every company enriched somewhere (but for those the killed worker took: a SIGKILL loses the log lines
        // still in its pipe, and a company it enriched just before is not run again); survivors worked after the kill
        const enrichedBy = new Map<string, Array<string>>()
        for (const w of workers) for (const e of w.enriched) enrichedBy.set(e.company, [...(enrichedBy.get(e.company) ?? []), w.name])
        const unlogged = records.map((r) => r.companyId).filter((c) => !enrichedBy.has(c))
        expect(unlogged.filter((c) => !victim.taken.some((t) => t.company === c))).toEqual([])
        const afterKill = workers.filter((w) => w !== victim).flatMap((w) => w.enriched).filter((e) => e.at > killedAt).length
        expect(afterKill).toBeGreaterThan(0)
        // the fourth worker took work
        expect(fourth.enriched.length, "the fourth worker enriched no company").toBeGreaterThan(0)
        // the drained worker: nothing started once it drained; what it ran finished there or was handed over; nothing it finished ran again
        expect(drained.drainLine, drained.child.stderr()).toBeDefined()
        expect(drained.taken.filter((t) => t.line > drained.drainLine!).map((t) => t.company)).toEqual([])
        const finishedThere = runningAtTerm.filter((c) => drained.enriched.some((e) => e.company === c))
        const handedOver = runningAtTerm.filter((c) => !finishedThere.includes(c))
        for (const c of handedOver) expect(enrichedBy.get(c)!.some((n) => n !== drained.name), c).toBe(true)
        const again = drained.enriched.filter((e) => workers.some((w) => w !== drained && w.enriched.some((o) => o.company === e.company && o.at > e.at)))
        expect(again.map((e) => e.company)).toEqual([])

        const survivors = workers.filter((w) => w !== victim && w !== drained)
        const warnings = warningsOf(survivors.map((w) => w.child))
        await stop(survivors, fakes)
        const checked = checkVendorsAndHosts(journal, webLog, [{ from: killedAt, to: killedAt }], { crawlDelay, shared: { limits, binding } })

        const perWorker = workers.map((w) =>
          `${w.name}${w === victim ? " (killed)" : w === drained ? " (SIGTERM)" : w === fourth ? " (4th)" : ""} ${w.enriched.length}`
        ).join(", ")
        console.log(
          `cluster fault test, SIGKILL: ${companies} companies (${summary.succeeded} succeeded, ${summary.partial} partial, ` +
            `${summary.failed} failed; ${records.length} records); per worker ${perWorker}; killed ${victim.name} after ${killAfter} done, ` +
            `${seconds(startedAt, killedAt)} s into the run; ${afterKill} done by the others after it; run finished ` +
            `${seconds(startedAt, finishedAt)} s; ${checked.repeats}; ${checked.rates}; ${checked.politeness}; ` +
            `${warnings.length} warnings on the survivors`
        )
        console.log(
          `cluster fault test, fourth worker: started ${seconds(startedAt, joining)} s into the run, in the cluster ` +
            `${seconds(joining, joinedAt)} s later, enriched ${fourth.enriched.length} companies, the first ` +
            `${seconds(joinedAt, Math.min(...fourth.enriched.map((e) => e.at)))} s after joining`
        )
        console.log(
          `cluster fault test, SIGTERM: ${drained.name} at ${seconds(startedAt, termAt)} s with ${runningAtTerm.length} companies ` +
            `running, ${finishedThere.length} finished there, ${handedOver.length} handed over, 0 started after the drain began, ` +
            `exit 0 after ${seconds(termAt, drainedExitAt)} s; it enriched ${drained.enriched.length} in all, none again elsewhere`
        )
      }),
    180_000
  )
})
