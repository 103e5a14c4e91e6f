/**
 * What the fault tests read back: the fakes' journal of billed calls, the
 * fixture web's access log, the workers' JSON log lines and the run's
 * records, and the checks made of them (repeated paid calls against calls
 * in flight at a fault, each vendor's aggregate rate against its spaced
 * limit, each host's politeness: {@link checkVendorsAndHosts}).
 */
import { existsSync, readFileSync } from "node:fs"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SharedRateLimits } from "@leadgraph/adapters"
import { Duration, Effect, Redacted, Schedule } from "effect"
import { expect } from "vitest"
import { maxInWindow } from "../../bench/cluster/analyse.js"

// an answer that reached a process just before a fault may not have been stored yet
const margin = 1000
// arrivals lag their turns: a caller may wake up to 250 ms late for its turn of
// a spaced limit (SharedRateLimits), and the event loop and the connection delay it
const slack = 500
// the fixture server stamps a request's end and the next one's start on its own event loop, which lags a few ms under load
const stampLag = 20

/** One billed unit of the fakes' journal (`leadgraph fakes --journal`). */
export interface Billed {
  readonly vendor: string
  readonly endpoint: string
  readonly key: string
  readonly credits: number
  readonly startedAt: number
  readonly endedAt: number
}

/** One request of the fixture web's access log (`leadgraph fakes --web-log`). */
export interface Visit {
  readonly time: number
  readonly answered?: number | undefined
  readonly host: string
  readonly path: string
  readonly status: number
}

const jsonLines = <A>(path: string): Array<A> =>
  existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as A) : []

export const readJournal = (path: string): Array<Billed> => jsonLines<Billed>(path)
export const readWebLog = (path: string): Array<Visit> => jsonLines<Visit>(path)

/** A moment (or span) of a fault: a kill, an outage. */
export interface Fault {
  readonly from: number
  readonly to: number
}

/**
 * Per vendor: units billed, units billed again under the same key, units in
 * flight at a fault (open at it, or closed at most `margin` ms before it:
 * an answer that reached a process just before the fault may not have been
 * stored yet), and the repeats whose first billing was not in flight at any
 * fault (a true double payment; should be none).
 */
export const repeats = (billed: ReadonlyArray<Billed>, faults: ReadonlyArray<Fault>, margin: number) => {
  const open = (e: Billed) => faults.some((f) => e.startedAt <= f.to && e.endedAt >= f.from - margin)
  return Object.fromEntries([...new Set(billed.map((e) => e.vendor))].sort().map((vendor) => {
    const entries = billed.filter((e) => e.vendor === vendor)
    const byKey = new Map<string, Array<Billed>>()
    for (const e of entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e])
    const repeated = [...byKey.values()].filter((all) => all.length > 1)
    const firstOf = (all: ReadonlyArray<Billed>) => all.reduce((a, b) => (a.startedAt <= b.startedAt ? a : b))
    return [vendor, {
      billed: entries.length,
      repeated: repeated.reduce((n, all) => n + all.length - 1, 0),
      inFlight: entries.filter(open).length,
      outside: repeated.filter((all) => !open(firstOf(all)))
        .map((all) => `${all[0]!.key}: ${all.map((e) => `${e.startedAt}-${e.endedAt}`).join(", ")}`)
    }]
  }))
}

/**
 * The requests of one vendor endpoint (a batch bills one unit per address,
 * all with the request's times): their arrival times.
 */
export const arrivals = (billed: ReadonlyArray<Billed>, vendor: string, endpoint?: string): Array<number> => {
  const seen = new Set<string>()
  const out: Array<number> = []
  for (const e of billed) {
    if (e.vendor !== vendor || (endpoint !== undefined && e.endpoint !== endpoint)) continue
    const request = `${e.endpoint} ${e.startedAt} ${e.endedAt}`
    if (e.endpoint.includes("batch") && seen.has(request)) continue
    seen.add(request)
    out.push(e.startedAt)
  }
  return out.sort((a, b) => a - b)
}

/**
 * Arrivals against a token bucket of `limit` per `intervalMs` (a burst of
 * `limit`, then one every `intervalMs / limit`; a spaced limit is a bucket
 * of one): the largest number of arrivals in any window, less what the
 * bucket allows in it (at most 0 when the limit was kept; `slack` ms of lag
 * allowed per window), and the window.
 */
export const bucketExcess = (arrivals: ReadonlyArray<number>, limit: number, intervalMs: number, slack: number) => {
  const spacing = intervalMs / limit
  let worst = { excess: -Infinity, calls: 0, allowed: 0, spanMs: 0 }
  for (let i = 0; i < arrivals.length; i++) {
    for (let j = i; j < arrivals.length; j++) {
      const calls = j - i + 1
      const allowed = limit + Math.floor((arrivals[j]! - arrivals[i]! + slack) / spacing)
      const excess = calls - allowed
      // of the windows as tight as the tightest, the one with most calls
      if (excess > worst.excess || (excess === worst.excess && calls > worst.calls)) worst = { excess, calls, allowed, spanMs: arrivals[j]! - arrivals[i]! }
    }
  }
  return worst
}

/**
 * Per host of the fixture web: requests, requests that arrived while
 * another to the host was open (should be none), and the smallest gap
 * between the end of one request and the start of the next (and where).
 */
export const politeness = (visits: ReadonlyArray<Visit>) => {
  const byHost = new Map<string, Array<Visit>>()
  for (const v of visits) byHost.set(v.host, [...(byHost.get(v.host) ?? []), v])
  let overlaps = 0
  let minGap = Infinity
  let closest = ""
  let pairs = 0
  const worst: Array<string> = []
  for (const [host, list] of byHost) {
    const sorted = [...list].sort((a, b) => a.time - b.time)
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!
      const next = sorted[i]!
      pairs++
      const end = prev.answered ?? Infinity
      if (next.time < end) {
        overlaps++
        worst.push(`${host}: ${prev.path} ${prev.time}-${prev.answered} and ${next.path} at ${next.time}`)
        continue
      }
      if (next.time - end < minGap) {
        minGap = next.time - end
        closest = `${host}: ${prev.path} ended ${end}, ${next.path} started ${next.time}`
      }
    }
  }
  return { hosts: byHost.size, requests: visits.length, pairs, overlaps, minGap, closest, worst: worst.slice(0, 5) }
}

/** One JSON log line of a child (`{"message":..., "annotations":{...}}`), or undefined. */
export const logEvent = (line: string): { message?: string; annotations?: Record<string, unknown> } | undefined => {
  if (!line.startsWith("{")) return undefined
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

/**
 * The run's records of its companies (`company_enrichment_runs`), read as
 * the runtime role bound to the tenant.
 */
export const companyRecords = (url: string, tenant: string, runId: string) =>
  Effect.runPromise(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(Effect.zipRight(
      sql`SELECT leadgraph_bind_tenant(${tenant})`,
      sql<{ companyId: string; status: string }>`SELECT company_id::text AS "companyId", status FROM company_enrichment_runs
        WHERE run_id = ${runId}`
    ))
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })),
    Effect.scoped,
    // the machine's Postgres is shared: right after an outage its connection slots may all be taken for a moment
    Effect.retry({ schedule: Schedule.spaced("1 second"), times: 10 })
  ))

/** Seconds between two epoch milliseconds, one decimal. */
export const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1)

/**
 * Checks what the journal and the web log say, and gives their numbers as
 * text: per vendor, repeated paid calls <= calls in flight at a fault, each
 * repeat of a call that was; with `shared` limits (per minute, spaced as
 * the `*_PER_MINUTE` settings are: one call every `(60 s + 0.5 s) / limit`),
 * no minute holds more than the limit and no vendor's aggregate arrivals
 * ever beat that spacing (less `slack` per window), and the `binding` ones
 * were held back (a quarter of their calls or more one spacing after the
 * previous); no host had two requests
 * open at once nor two closer than its Crawl-delay.
 */
export const checkVendorsAndHosts = (
  journal: string,
  webLog: string,
  faults: ReadonlyArray<Fault>,
  options: {
    readonly crawlDelay: number
    readonly shared?: { readonly limits: Readonly<Record<string, number>>; readonly binding: ReadonlyArray<string> } | undefined
  }
) => {
  const { crawlDelay, shared } = options
  const billed = readJournal(journal)
  const byVendor = repeats(billed, faults, margin)
  const texts: Array<string> = []
  for (const [vendor, r] of Object.entries(byVendor)) {
    expect(r.outside, `${vendor}: billed again though not in flight at a fault`).toEqual([])
    expect(r.repeated, vendor).toBeLessThanOrEqual(r.inFlight)
    texts.push(`${vendor} repeated ${r.repeated} <= in flight ${r.inFlight} (of ${r.billed})`)
  }
  const rates: Array<string> = []
  if (shared !== undefined) {
    const { binding, limits } = shared
    for (const [vendor, limit] of Object.entries(limits)) {
      const times = arrivals(billed, vendor, vendor === "zerobounce" ? "GET /v2/validate" : undefined)
      const spacing = Duration.toMillis(SharedRateLimits.spacing(SharedRateLimits.perMinute(limit)))
      const worst = bucketExcess(times, 1, spacing, slack)
      expect(worst.excess, `${vendor}: ${JSON.stringify(worst)}`).toBeLessThanOrEqual(0)
      const busiest = maxInWindow(times, 60_000)
      expect(busiest, `${vendor}: calls in a minute`).toBeLessThanOrEqual(limit)
      // binding: the limit held calls back, so many came back to back, one
      // spacing apart (none closer, by the check above)
      const backToBack = times.slice(1).filter((t, i) => t - times[i]! < spacing + slack).length
      if (binding.includes(vendor)) {
        expect(backToBack, `${vendor}: the limit should bind`).toBeGreaterThanOrEqual(Math.ceil((times.length - 1) / 4))
      }
      rates.push(
        `${vendor} ${times.length} calls at ${limit}/min (${spacing} ms apart)${binding.includes(vendor) ? " (binding)" : ""}, ` +
          `${backToBack} back to back, tightest window ${worst.calls} calls in ${seconds(0, worst.spanMs)} s <= ${worst.allowed} ` +
          `allowed; busiest minute ${busiest}`
      )
    }
  }
  const polite = politeness(readWebLog(webLog))
  expect(polite.requests).toBeGreaterThan(0)
  expect(polite.overlaps, polite.worst.join("\n")).toBe(0)
  expect(polite.minGap, polite.closest).toBeGreaterThanOrEqual(crawlDelay * 1000 - stampLag)
  return {
    repeats: texts.join(", "),
    rates: rates.join(", "),
    politeness: `${polite.requests} requests to ${polite.hosts} hosts, 0 overlapping, smallest gap ${polite.minGap} ms >= Crawl-delay ${crawlDelay * 1000} ms (less ${stampLag} ms of stamping lag)`
  }
}
