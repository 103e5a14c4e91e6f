/**
 * Acceptance: two tenants, cap 100 each, run concurrently by the nightly
 * run; every row written carries the right tenant, and neither tenant's data
 * is visible to the other — through the store as each tenant, and by the
 * tables' owner's view of every row.
 */
import { describe, expect, it } from "@effect/vitest"
import { Nightly, Store } from "@leadgraph/core"
import type { Company } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Context, Effect, Layer, Option } from "effect"
import { asAdmin, finished, makeWorld, targets } from "./harness.js"

const perTenant = 24
const cap = 100

/** Tables whose rows belong to a company, and so to its tenant. */
const companyRows = ["contacts", "lead_emails", "lead_features", "lead_scores", "company_enrichment_runs"] as const

describe.each(targets)("acceptance: tenant isolation ($label)", ({ database }) => {
  it.live("two tenants run at once; every row carries its tenant and neither sees the other", () =>
    Effect.scoped(Effect.gen(function*() {
      const db = yield* Layer.build(database())
      const owner = Context.get(db, TestDatabases.Owner)
      const world = yield* makeWorld({ database: Layer.succeedContext(db), companiesPerTenant: perTenant })
      const [a, b] = world.tenants
      const nightly = yield* world.use(Nightly.run({
        tenantConcurrency: 2,
        dailyCap: cap,
        timeZone: world.settings.schedule.timeZone,
        tenant: {
          concurrency: 8,
          caps: Settings.budgetCaps(world.settings.caps),
          knobs: { exportToOdoo: false }
        }
      }))
      expect(nightly.tenants.map((t) => t.tenant.id).sort()).toEqual([a!.id, b!.id].sort())
      const runs = nightly.tenants.map((t) => {
        expect(t._tag).toBe("Ran")
        if (t._tag !== "Ran") throw new Error(t._tag === "Failed" ? t.error : "busy")
        return finished(t.result)
      })
      // Fewer sites than the cap: each tenant takes all of its own companies.
      for (const run of runs) {
        expect(run.summary.targets.total).toBe(perTenant)
        expect(run.summary.targets.failed).toBe(0)
      }

      const seen = yield* world.use(Effect.gen(function*() {
        const store = yield* Store.Store
        return yield* Effect.forEach([a!, b!], (tenant) =>
          Effect.gen(function*() {
            const own = store.forTenant(tenant.id)
            const run = runs.find((r) => r.tenantId === tenant.id)!
            const record = yield* own.runs.get(run.runId as never)
            expect(Option.isSome(record)).toBe(true)
            const ids = Option.getOrThrow(record).manifest.companyIds
            const companies = yield* own.companies.findByIds(ids)
            const withContacts = yield* Effect.filter(companies, (c) =>
              Effect.map(own.leads.contactsOf(c.id), (cs) => cs.length > 0))
            const scored = yield* Effect.filter(companies, (c) => Effect.map(own.leads.scoreOf(c.id), Option.isSome))
            return { tenant, runId: run.runId, companies, withContacts, scored }
          }))
      }))
      for (const s of seen) {
        expect(s.companies).toHaveLength(perTenant)
        expect(s.withContacts.length).toBeGreaterThan(0)
        expect(s.scored).toHaveLength(perTenant)
        expect(s.companies.every((c) => c.tenantId === s.tenant.id)).toBe(true)
      }

      // Each tenant, through the store, sees nothing of the other's.
      yield* world.use(Effect.gen(function*() {
        const store = yield* Store.Store
        for (const [mine, theirs] of [[seen[0]!, seen[1]!], [seen[1]!, seen[0]!]] as const) {
          const me = store.forTenant(mine.tenant.id)
          const theirIds = theirs.companies.map((c) => c.id)
          expect(yield* me.companies.findByIds(theirIds)).toEqual([])
          for (const c of theirs.withContacts) expect(yield* me.leads.contactsOf(c.id)).toEqual([])
          for (const c of theirs.scored) expect(Option.isNone(yield* me.leads.scoreOf(c.id))).toBe(true)
          expect(Option.isNone(yield* me.runs.get(theirs.runId as never))).toBe(true)
          // The domains both tenants hold are separate rows, each tenant's own.
          const shared = theirs.companies.filter((c) => mine.companies.some((m) => m.domain === c.domain))
          expect(shared.length).toBeGreaterThan(0)
          const mineShared: ReadonlyArray<Company.Company> = yield* me.companies.findByDomains(shared.map((c) => c.domain))
          expect(mineShared).toHaveLength(shared.length)
          expect(mineShared.every((c) => c.tenantId === mine.tenant.id && !theirIds.includes(c.id))).toBe(true)
        }
      }))

      // The owner's view of every row: each one's tenant is its company's tenant.
      const rows = yield* asAdmin(owner, ["companies", ...companyRows], (sql) =>
        Effect.forEach(companyRows, (table) =>
          Effect.map(
            sql.unsafe<{ total: number; orphans: number; mismatched: number; tenants: number }>(
              `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE c.id IS NULL)::int AS orphans,
                count(*) FILTER (WHERE c.id IS NOT NULL AND c.tenant_id <> x.tenant_id)::int AS mismatched,
                count(DISTINCT x.tenant_id)::int AS tenants
              FROM ${table} x LEFT JOIN companies c ON c.id = x.company_id`
            ),
            (r) => ({ table, ...r[0]! })
          )))
      for (const row of rows) {
        expect(row, row.table).toMatchObject({ orphans: 0, mismatched: 0, tenants: 2 })
        expect(row.total, row.table).toBeGreaterThan(0)
      }
      const runRows = yield* asAdmin(owner, ["enrichment_runs"], (sql) =>
        sql.unsafe<{ tenant_id: string; run_id: string }>(`SELECT tenant_id, run_id FROM enrichment_runs ORDER BY tenant_id`))
      expect(runRows.map((r) => [r.tenant_id, r.run_id])).toEqual(
        [...seen].sort((x, y) => x.tenant.id.localeCompare(y.tenant.id)).map((s) => [s.tenant.id, s.runId])
      )
    })), 120_000)
})
