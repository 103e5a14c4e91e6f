import { describe, expect, it } from "@effect/vitest"
import type { Company, Run } from "@leadgraph/core"
import { RunHistory, Store, Tenant } from "@leadgraph/core"
import { Effect, Option } from "effect"

const tenant = (id: string) => Tenant.TenantId.make(id)
const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 1, minute))

/** Tenants with runs started at the given minutes (run ids `<tenant>-2026-03-02-<n>`). */
const world = (runs: Record<string, ReadonlyArray<number>>) =>
  Effect.gen(function*() {
    const store = yield* Store.makeMemory
    for (const [id, minutes] of Object.entries(runs)) {
      const t = store.forTenant(tenant(id))
      yield* t.tenants.save({ name: id })
      yield* t.companies.upsert([{ name: "x", domain: `${id}.example` as Company.Domain, website: null, industry: null, ssicCode: null, country: null, employeeRange: null, lastSeen: null }])
      for (const [i, minute] of minutes.entries()) {
        const runId = `${id}-2026-03-02-${String(i).padStart(6, "0")}` as Run.RunId
        yield* t.runs.create({ runId, runDay: "2026-03-02", rerun: false, cap: 5, companyIds: [], caps: { "lusha.contacts": 10 } }, at(minute))
        if (i % 2 === 0) {
          yield* t.runs.finish(runId, { status: "succeeded", finishedAt: at(minute + 3), steps: {}, errorSummary: null, spend: { "lusha.contacts": i } })
        }
      }
    }
    return store
  })

const pages = (store: Store.Service, options: RunHistory.Options) =>
  Effect.gen(function*() {
    const all: Array<RunHistory.Page> = []
    let cursor: string | undefined = undefined
    do {
      const page: RunHistory.Page = yield* RunHistory.list(store, { ...options, cursor })
      all.push(page)
      cursor = page.next ?? undefined
    } while (cursor !== undefined && all.length < 50)
    return all
  })

describe("RunHistory", () => {
  it.effect("lists every tenant's runs newest first, page by page, with nothing lost or repeated", () =>
    Effect.gen(function*() {
      // ties: acme and beta both start runs at minute 10
      const store = yield* world({ acme: [0, 10, 20, 30, 40], beta: [10, 15, 50], none: [] })
      const all = yield* pages(store, { limit: 2 })
      expect(all.map((p) => p.runs.length)).toEqual([2, 2, 2, 2])
      expect(all[all.length - 1]!.next).toBeNull()
      const listed = all.flatMap((p) => p.runs.map((r) => `${r.tenantId}@${r.startedAt.slice(14, 16)}`))
      expect(listed).toEqual([
        // at a tie, run ids descending
        "beta@50", "acme@40", "acme@30", "acme@20", "beta@15", "beta@10", "acme@10", "acme@00"
      ])
      // any page size gives the same list (a page may end between runs started at the same time)
      for (const limit of [1, 3, 5, 6, 7]) {
        const paged = yield* pages(store, { limit })
        expect(paged.flatMap((p) => p.runs.map((r) => `${r.tenantId}@${r.startedAt.slice(14, 16)}`))).toEqual(listed)
      }
      const one = yield* RunHistory.list(store, { limit: 100 })
      expect(one.runs).toHaveLength(8)
      expect(one.next).toBeNull()
    }))

  it.effect("keeps to one tenant with a filter, and says what each run spent and took", () =>
    Effect.gen(function*() {
      const store = yield* world({ acme: [0, 10, 20], beta: [5, 15] })
      const all = yield* pages(store, { tenantId: tenant("beta"), limit: 1 })
      expect(all.flatMap((p) => p.runs.map((r) => r.tenantId))).toEqual(["beta", "beta"])
      const acme = (yield* RunHistory.list(store, { tenantId: tenant("acme") })).runs
      expect(acme.map((r) => [r.status, r.spend, r.wallMillis])).toEqual([
        ["succeeded", { "lusha.contacts": 2 }, 180_000],
        ["running", null, null],
        ["succeeded", { "lusha.contacts": 0 }, 180_000]
      ])
      expect(acme[0]).toMatchObject({ runDay: "2026-03-02", caps: { "lusha.contacts": 10 }, companies: 0 })
    }))

  it.effect("bounds the limit and refuses a cursor it did not make", () =>
    Effect.gen(function*() {
      const store = yield* world({ acme: [0, 1, 2] })
      expect((yield* RunHistory.list(store, { limit: 0 })).runs).toHaveLength(1)
      const error = yield* Effect.flip(RunHistory.list(store, { cursor: "not-a-cursor" }))
      expect(error).toBeInstanceOf(RunHistory.InvalidCursor)
      expect(error.message).toContain("cursor")
    }))

  it.effect("finds a run by its id, in the tenant it names or in any tenant with runs", () =>
    Effect.gen(function*() {
      const store = yield* world({ acme: [0], beta: [1] })
      const found = yield* RunHistory.find(store, "beta-2026-03-02-000000")
      expect(Option.map(found, (r) => r.tenantId)).toEqual(Option.some("beta"))
      const t = store.forTenant(tenant("beta"))
      yield* t.runs.create({ runId: "custom" as Run.RunId, runDay: "2026-03-02", rerun: false, cap: 1, companyIds: [], caps: {} }, at(9))
      expect(Option.map(yield* RunHistory.find(store, "custom"), (r) => r.tenantId)).toEqual(Option.some("beta"))
      expect(yield* RunHistory.find(store, "custom", tenant("acme"))).toEqual(Option.none())
      expect(yield* RunHistory.find(store, "missing-2026-03-02-000000")).toEqual(Option.none())
    }))
})
