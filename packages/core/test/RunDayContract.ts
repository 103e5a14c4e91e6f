/**
 * The contract of the store's day-based reads, run against every
 * implementation (memory here; PGlite and Postgres in the adapters' tests):
 * `companies.enrichedOn` counts and `companies.selectTargets` skips the
 * companies enriched within the run day in its own zone — from the start
 * of the local date to the start of the next, 23 or 25 hours on daylight
 * saving days — and not within a UTC day. The instants are written out
 * here, not computed by `RunDay`, so the suite checks the helper too.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Company, RunDay } from "@leadgraph/core"
import { Store, Tenant } from "@leadgraph/core"
import type { Run } from "@leadgraph/core"
import { Effect, type Layer } from "effect"

interface Case {
  readonly timeZone: string
  readonly date: string
  readonly previous: string
  readonly next: string
  /** The first instant of the local date, and the first of the next one. */
  readonly start: string
  readonly end: string
  /** 00:30 and 23:30 local time. */
  readonly early: string
  readonly late: string
}

/** Singapore (no daylight saving time), a winter day in Berlin, and both of Berlin's change days in 2026. */
export const cases: ReadonlyArray<Case> = [
  {
    timeZone: "Asia/Singapore",
    date: "2026-03-02",
    previous: "2026-03-01",
    next: "2026-03-03",
    start: "2026-03-01T16:00:00Z",
    end: "2026-03-02T16:00:00Z",
    early: "2026-03-01T16:30:00Z",
    late: "2026-03-02T15:30:00Z"
  },
  {
    timeZone: "Europe/Berlin",
    date: "2026-01-15",
    previous: "2026-01-14",
    next: "2026-01-16",
    start: "2026-01-14T23:00:00Z",
    end: "2026-01-15T23:00:00Z",
    early: "2026-01-14T23:30:00Z",
    late: "2026-01-15T22:30:00Z"
  },
  {
    // summer time starts: 23 hours
    timeZone: "Europe/Berlin",
    date: "2026-03-29",
    previous: "2026-03-28",
    next: "2026-03-30",
    start: "2026-03-28T23:00:00Z",
    end: "2026-03-29T22:00:00Z",
    early: "2026-03-28T23:30:00Z",
    late: "2026-03-29T21:30:00Z"
  },
  {
    // summer time ends: 25 hours
    timeZone: "Europe/Berlin",
    date: "2026-10-25",
    previous: "2026-10-24",
    next: "2026-10-26",
    start: "2026-10-24T22:00:00Z",
    end: "2026-10-25T23:00:00Z",
    early: "2026-10-24T22:30:00Z",
    late: "2026-10-25T22:30:00Z"
  }
]

const shift = (iso: string, millis: number) => new Date(Date.parse(iso) + millis)

/**
 * Registers the day contract tests for one implementation.
 */
export const suite = <E>(label: string, layer: Layer.Layer<Store.Store, E>) =>
  describe(`Store run day contract (${label})`, () => {
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      for (const c of cases) {
        it.effect(`${c.date} in ${c.timeZone}: counted and skipped by the local day`, () =>
          Effect.gen(function*() {
            const store = yield* Store.Store
            const id = Tenant.TenantId.make(`day-${c.timeZone.replace("/", "-").toLowerCase()}-${c.date}`)
            const t = store.forTenant(id)
            yield* t.tenants.save({ name: id })
            // when each company was enriched, relative to the local day
            const when: Record<string, Date | null> = {
              fresh: null,
              before: shift(c.start, -1),
              first: new Date(c.start),
              early: new Date(c.early),
              late: new Date(c.late),
              last: shift(c.end, -1),
              after: new Date(c.end)
            }
            const names = Object.keys(when)
            yield* t.companies.upsert(names.map((n) => ({
              name: n,
              domain: `${n}.example` as Company.Domain,
              website: null,
              industry: null,
              ssicCode: null,
              country: null,
              employeeRange: null,
              lastSeen: null
            })))
            const found = yield* t.companies.findByDomains(names.map((n) => `${n}.example` as Company.Domain))
            const runId = `${id}-run` as Run.RunId
            yield* t.runs.create({ runId, runDay: c.date, rerun: false, cap: 10, companyIds: [], caps: {} }, new Date(c.start))
            yield* t.runs.recordOutcomes(runId, found.flatMap((company) => {
              const finishedAt = when[company.name]
              return finishedAt === null || finishedAt === undefined
                ? []
                : [{ companyId: company.id, status: "succeeded" as const, steps: {}, finishedAt }]
            }))

            const day = (date: string): RunDay.RunDay => ({ date, timeZone: c.timeZone })
            expect(yield* t.companies.enrichedOn(day(c.date))).toBe(4)
            expect(yield* t.companies.enrichedOn(day(c.previous))).toBe(1)
            expect(yield* t.companies.enrichedOn(day(c.next))).toBe(1)
            const picked = (date: string, rerun = false) =>
              Effect.map(t.companies.selectTargets({ runDay: day(date), cap: 10, rerun }), (cs) => cs.map((x) => x.name))
            // never enriched first, then the oldest enrichment
            expect(yield* picked(c.date)).toEqual(["fresh", "before", "after"])
            expect(yield* picked(c.date, true)).toEqual(["fresh", ...names.slice(1)])
            expect(yield* picked(c.next)).toEqual(["fresh", "before", "first", "early", "late", "last"])
            expect(yield* picked(c.previous)).toEqual(["fresh", "first", "early", "late", "last", "after"])
          }))
      }

      it.effect("refuses a malformed day or an unknown zone", () =>
        Effect.gen(function*() {
          const t = (yield* Store.Store).forTenant(Tenant.TenantId.make("day-invalid"))
          for (const runDay of [
            { date: "2026-02-30", timeZone: "Europe/Berlin" },
            { date: "2026-03-02", timeZone: "Mars/Olympus" }
          ]) {
            expect((yield* Effect.flip(t.companies.enrichedOn(runDay))).reason).toBe("Invalid")
            expect((yield* Effect.flip(t.companies.selectTargets({ runDay, cap: 1 }))).reason).toBe("Invalid")
          }
        }))
    })
  })
