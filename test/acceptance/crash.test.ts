/**
 * A crash test of the real binary: `leadgraph fakes` serves the fake
 * vendors and the fixture sites and seeds a tenant with 60 companies;
 * `leadgraph run` runs as a child process and is SIGKILLed at three seeded
 * moments (early, middle, late: three kills of one run), then resumed with
 * `--run-id` until it finishes on its own. Then, from the fakes' journal of
 * what they billed (request start and end times) and the run's report:
 *
 * - every company ends terminal (succeeded, partial or failed);
 * - per vendor, what was paid for twice (the same key billed again) is at
 *   most what was in flight at the kills, and every repeat is of a call
 *   that was: its first billing was made by an attempt that was killed
 *   (one billing belongs to the last attempt spawned before it began) and
 *   ended after the kill, or at most `margin` before it (an answer that reached the process just
 *   before the kill may not have been stored yet: on embedded PGlite under
 *   load, its write can wait behind other transactions for hundreds of
 *   milliseconds);
 * - each budget's ledger counts at least what the fakes charged, and
 *   neither passes its cap.
 *
 * On embedded PGlite (a data directory the processes take over after each
 * kill) and, with `DATABASE_URL`, on a scratch schema of Postgres.
 */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { baseEnv, type Child, cleanUp, scratch, start, startFakes } from "./cli.js"

const companies = 60
const seed = 11
const margin = 1000
const caps = { LUSHA_MAX_CONTACT_LOOKUPS: 400, ZEROBOUNCE_MAX_VERIFICATIONS: 450 }
const budgets = {
  tavily: "tavily.queries",
  lusha: "lusha.lookups",
  zerobounce: "zerobounce.verifications",
  openai: "openai.tokens"
} as const

interface Billed {
  readonly vendor: keyof typeof budgets
  readonly key: string
  readonly credits: number
  readonly startedAt: number
  readonly endedAt: number
}

/** mulberry32: the kill moments from the seed. */
const random = (s: number) => () => {
  s = (s + 0x6D2B79F5) | 0
  let t = Math.imul(s ^ (s >>> 15), 1 | s)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const json = (line: string): { message?: string; annotations?: Record<string, unknown> } | undefined => {
  try {
    return line.startsWith("{") ? JSON.parse(line) : undefined
  } catch {
    return undefined
  }
}


const targets = [
  "pglite" as const,
  ...(process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === "" ? [] : ["postgres" as const])
]

describe("acceptance: kill -9 of the real binary", () => {
  for (const label of targets) {
    it(`${label}: three kills of one run, resumed; every company terminal, nothing paid twice beyond what was in flight, ledgers >= charges <= caps`, async () => {
      const work = mkdtempSync(join(tmpdir(), "lg-crash-"))
      const database = label === "postgres" ? await scratch("crash", process.env.DATABASE_URL!) : undefined
      const journal = join(work, "billed.jsonl")
      const env = { ...baseEnv(), ...(database === undefined ? {} : { DATABASE_URL: database.url }) }
      const children: Array<Child> = []
      try {
        const { env: fakeEnv, fakes } = await startFakes([
          "--seed", String(seed), "--sites", String(companies), "--tenant", "crash",
          "--companies", String(companies), "--latency", "20-150", "--journal", journal, "--env-out", join(work, "fakes.env")
        ], { cwd: work, env })
        children.push(fakes)
        expect(readFileSync(join(work, "fakes.env"), "utf8").trim().split("\n")).toEqual(
          Object.entries(fakeEnv).map(([name, value]) => `${name}=${value}`)
        )
        const runEnv = {
          ...env,
          ...fakeEnv,
          CRAWLER_MIN_DELAY_MS: "20",
          SCHED_COMPANY_CONCURRENCY: "8",
          // a killed run's reservations are settled as spent 2 s after its last renewal, before the last attempt reports
          LEADGRAPH_BUDGET_LEASE_SECONDS: "2",
          LUSHA_MAX_CONTACT_LOOKUPS: String(caps.LUSHA_MAX_CONTACT_LOOKUPS),
          ZEROBOUNCE_MAX_VERIFICATIONS: String(caps.ZEROBOUNCE_MAX_VERIFICATIONS)
        }

        const next = random(seed)
        const moments = [2 + Math.floor(next() * 4), 24 + Math.floor(next() * 10), 44 + Math.floor(next() * 8)]
        const finished = new Set<string>()
        const kills: Array<number> = []
        // when each attempt was spawned: a billing belongs to the last attempt spawned before it
        // began (the next one starts only after the killed one exited, and takes over a second to
        // reach a vendor), so a request the killed process sent just before the SIGKILL landed
        // counts as its own even when the fake logged its start a few ms after the kill
        const spawned: Array<number> = []
        let runId: string | undefined
        let last: Child | undefined
        for (let attempt = 0; attempt < 8 && last === undefined; attempt++) {
          spawned.push(Date.now())
          const child = start(["run", "--tenant", "crash", ...(runId === undefined ? [] : ["--run-id", runId])], {
            cwd: work,
            env: runEnv
          })
          children.push(child)
          const moment = moments[kills.length]
          let armed = moment !== undefined
          child.onLog((line) => {
            const event = json(line)
            if (event?.message !== "target finished") return
            runId ??= String(event.annotations?.["runId"])
            finished.add(String(event.annotations?.["targetId"]))
            if (armed && finished.size >= moment!) {
              armed = false
              setTimeout(() => {
                if (child.process.exitCode === null && child.process.kill("SIGKILL")) kills.push(Date.now())
              }, Math.floor(next() * 120))
            }
          })
          const code = await child.exited
          if (code === "SIGKILL") continue
          expect(code, child.stderr()).toBe(0)
          last = child
        }
        expect(kills.length).toBe(3)
        expect(last).toBeDefined()

        fakes.process.kill("SIGTERM")
        await fakes.exited
        const report = last!.lines
        const outcome = report.map((l) => /^run (\S+): (\d+) targets, (\d+) succeeded, (\d+) partial, (\d+) failed/.exec(l))
          .find((m) => m !== null)
        expect(outcome, report.join("\n")).toBeDefined()
        const [, reportedRun, targets, succeeded, partial, failed] = outcome!
        expect(reportedRun).toBe(runId)
        expect(Number(targets)).toBe(companies)
        expect(Number(succeeded) + Number(partial) + Number(failed)).toBe(companies)
        const budgetLine = report.find((l) => l.startsWith("budgets today (used/cap): "))!
        const ledger = Object.fromEntries(
          [...budgetLine.matchAll(/([a-z.]+) (\d+)\/(\d+)/g)].map((m) => [m[1]!, { used: Number(m[2]), cap: Number(m[3]) }])
        )

        const warnings = () =>
          children.flatMap((c) => c.logs.filter((l) => /"logLevel":"(WARN|ERROR|FATAL)"/.test(l))).slice(0, 30).join("\n")
        const billed: Array<Billed> = readFileSync(journal, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
        const lines: Array<string> = []
        for (const [vendor, budget] of Object.entries(budgets) as Array<[keyof typeof budgets, string]>) {
          const entries = billed.filter((e) => e.vendor === vendor)
          const byKey = new Map<string, Array<Billed>>()
          for (const e of entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e])
          const repeats = [...byKey.values()].reduce((sum, all) => sum + all.length - 1, 0)
          const attemptOf = (e: Billed) => spawned.filter((s) => s <= e.startedAt).length - 1
          // billed by a killed attempt, and still open (or closed at most `slack` ms) at its kill
          const wasInFlight = (e: Billed, slack: number) => {
            const kill = kills[attemptOf(e)]
            return kill !== undefined && e.endedAt >= kill - slack
          }
          const inFlight = (slack: number) => entries.filter((e) => wasInFlight(e, slack)).length
          // how long before its attempt's kill each repeated key's first billing ended
          // (Infinity: billed twice with no kill in between, a true double payment)
          const gaps = [...byKey.values()].filter((all) => all.length > 1).map((all) => {
            const first = all.reduce((a, b) => (a.startedAt <= b.startedAt ? a : b))
            const kill = kills[attemptOf(first)]
            return kill === undefined ? Infinity : Math.max(0, kill - first.endedAt)
          })
          const charged = entries.reduce((sum, e) => sum + e.credits, 0)
          const { cap, used } = ledger[budget]!
          // on a failure, what the runs warned of, and which keys repeated when
          const repeated = [...byKey.entries()].filter(([, all]) => all.length > 1).slice(0, 5)
            .map(([key, all]) => `${key}: ${all.map((e) => `${e.startedAt}-${e.endedAt}`).join(", ")}`)
          lines.push(
            `${vendor}: ${entries.length} billed, repeated ${repeats} <= in flight at the kills ${inFlight(margin)} ` +
              `(${inFlight(0)} strictly; repeats answered ${JSON.stringify(gaps)} ms before a kill); ` +
              `ledger ${used} >= charged ${charged}; cap ${cap}` +
              (gaps.every((gap) => gap <= margin)
                ? ""
                : `\nspawned ${spawned.join(", ")}; kills ${kills.join(", ")}; repeated ${repeated.join("; ")}\n${warnings()}`)
          )
          expect(repeats, lines.at(-1)).toBeLessThanOrEqual(inFlight(margin))
          expect(gaps.every((gap) => gap <= margin), lines.at(-1)).toBe(true)
          expect(used, lines.at(-1)).toBeGreaterThanOrEqual(charged)
          expect(used, lines.at(-1)).toBeLessThanOrEqual(cap)
          expect(charged, lines.at(-1)).toBeLessThanOrEqual(cap)
        }
        console.log(`crash test (${label}), kills after ${moments.join("/")} companies: ${succeeded} succeeded, ${partial} partial, ${failed} failed\n${lines.join("\n")}`)
      } finally {
        await cleanUp(children, "SIGKILL", database, work)
      }
    }, 300_000)
  }
})
