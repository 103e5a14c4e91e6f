/**
 * Acceptance: the plan's two-tenant staging run. Two tenants with 110
 * companies each (55 of the domains in common) and a daily cap of 100 each,
 * one nightly run exporting to Odoo, each tenant to its own fake Odoo. Then:
 *
 * - both caps bind: each tenant's run takes exactly 100 companies, and its
 *   manifest records the cap 100;
 * - exports are isolated: a tenant's score export (`LeadExport.json` over
 *   `exportScores`) holds only its own companies, every one of its run's,
 *   and no company id of the other tenant;
 * - Odoo is isolated: a tenant's Odoo holds a company partner for exactly
 *   the domains of its own export at the threshold, none of the domains
 *   only the other tenant has, and contacts only under those partners, with
 *   addresses the tenant found itself;
 * - each run's wall time is recorded in its row of the runs table: the
 *   stored finish minus the stored start is the summary's wall time.
 */
import { describe, expect, it } from "@effect/vitest"
import { LeadExport, Nightly, Odoo, Store } from "@leadgraph/core"
import type { Run, Tenant } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"
import { Chunk, Effect, Option, Stream } from "effect"
import { finished, makeWorld, targets } from "./harness.js"

const perTenant = 110
const cap = 100

/** A tenant's score export at `min`, as the JSON an operator downloads, parsed. */
const exported = (tenantId: Tenant.TenantId, min: number) =>
  Effect.flatMap(Store.Store, (store) =>
    LeadExport.json(store.forTenant(tenantId).exportScores(min)).pipe(
      Stream.runCollect,
      Effect.map((chunks) => JSON.parse(Chunk.join(chunks, "")) as Array<{ companyId: string; domain: string; score: number }>)
    ))

describe.each(targets)("acceptance: two-tenant staging run ($label)", ({ database }) => {
  it.live("two tenants, cap 100 each, one nightly: both caps bind, exports and Odoo isolated, wall time recorded", () =>
    Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({ database: database(), companiesPerTenant: perTenant })
      const [a, b] = world.tenants
      const threshold = world.settings.scoreMinExport
      const nightly = yield* world.use(Nightly.run({
        tenantConcurrency: 2,
        dailyCap: cap,
        timeZone: world.settings.schedule.timeZone,
        tenant: {
          concurrency: 32,
          caps: Settings.budgetCaps(world.settings.caps),
          knobs: { scoreMinExport: threshold, corpusCharLimit: world.settings.corpusCharLimit }
        }
      }))
      expect(nightly.tenants.map((t) => t.tenant.id)).toEqual([a!.id, b!.id])
      const runs = nightly.tenants.map((t) => {
        if (t._tag !== "Ran") throw new Error(t._tag === "Failed" ? t.error : "busy")
        return finished(t.result)
      })

      const seen = yield* world.use(Effect.forEach(runs, (run) =>
        Effect.gen(function*() {
          const own = (yield* Store.Store).forTenant(run.tenantId)
          const stored = Option.getOrThrow(yield* own.runs.get(run.runId as Run.RunId))
          const companies = yield* own.companies.findByDomains(
            world.web.companies.map((c) => c.host as never)
          )
          const contacts = yield* Effect.forEach(stored.manifest.companyIds, (id) => own.leads.contactsOf(id))
          return {
            run,
            stored,
            companies,
            emails: new Set(contacts.flat().flatMap((c) => (c.email === null ? [] : [String(c.email)]))),
            all: yield* exported(run.tenantId, 0),
            qualifying: yield* exported(run.tenantId, threshold)
          }
        })))

      for (const s of seen) {
        // the cap binds: 100 of the tenant's 110 companies, none failed, the cap in the manifest
        expect(s.companies).toHaveLength(perTenant)
        expect(s.run.summary.targets.total).toBe(cap)
        expect(s.run.summary.targets.failed).toBe(0)
        expect(s.stored.manifest.cap).toBe(cap)
        expect(s.stored.manifest.companyIds).toHaveLength(cap)
        expect(new Set(s.stored.manifest.companyIds).size).toBe(cap)
        // the run's row: finished, and its wall time is the summary's, to the millisecond
        expect(s.stored.status).toBe(s.run.status)
        expect(s.stored.finishedAt).not.toBeNull()
        expect(s.stored.startedAt.getTime()).toBe(s.run.summary.startedAtMillis)
        expect(s.stored.finishedAt!.getTime() - s.stored.startedAt.getTime()).toBe(s.run.summary.wallMillis)
        expect(s.run.summary.wallMillis).toBeGreaterThan(0)
        expect(s.run.summary.wallMillis).toBeLessThanOrEqual(nightly.wallMillis)
        // the export: exactly the run's 100 companies, all the tenant's own
        const ownIds = new Set(s.companies.map((c) => c.id as string))
        expect(s.all.map((r) => r.companyId).sort()).toEqual([...s.stored.manifest.companyIds].sort())
        expect(s.all.every((r) => ownIds.has(r.companyId))).toBe(true)
        expect(s.qualifying.length).toBeGreaterThan(0)
        expect(s.qualifying.every((r) => r.score >= threshold)).toBe(true)
      }

      const [sa, sb] = seen as [typeof seen[number], typeof seen[number]]
      const idsA = new Set(sa.companies.map((c) => c.id as string))
      const idsB = new Set(sb.companies.map((c) => c.id as string))
      // the same domain is a separate company of each tenant
      expect([...idsA].filter((id) => idsB.has(id))).toEqual([])
      const domainsA = new Set(sa.companies.map((c) => c.domain as string))
      const domainsB = new Set(sb.companies.map((c) => c.domain as string))
      const shared = [...domainsA].filter((d) => domainsB.has(d))
      expect(shared).toHaveLength(perTenant / 2)
      // no row of one tenant in the other's export
      expect(sa.all.filter((r) => idsB.has(r.companyId))).toEqual([])
      expect(sb.all.filter((r) => idsA.has(r.companyId))).toEqual([])

      // Odoo: each tenant's own holds exactly its qualifying companies, and nothing only the other has
      for (const [mine, theirs, odoo, theirDomains] of [
        [sa, sb, world.odoo[0]!, domainsB],
        [sb, sa, world.odoo[1]!, domainsA]
      ] as const) {
        const partners = odoo.db.all("res.partner")
        const companyPartners = partners.filter((p) => typeof p.ref === "string" && Odoo.isLeadgraphRef(p.ref))
        const refs = companyPartners.map((p) => String(p.ref)).sort()
        expect(refs).toEqual(mine.qualifying.map((r) => Odoo.partnerRef(r.domain)).sort())
        const onlyTheirs = [...theirDomains].filter((d) => !mine.companies.some((c) => c.domain === d))
        expect(onlyTheirs.length).toBeGreaterThan(0)
        expect(refs.filter((ref) => onlyTheirs.some((d) => ref === Odoo.partnerRef(d)))).toEqual([])
        expect(theirs.qualifying.some((r) => onlyTheirs.includes(r.domain))).toBe(true)
        // contacts: under this Odoo's company partners only, with addresses this tenant found
        const companyIds = new Set(companyPartners.map((p) => p.id))
        const people = partners.filter((p) => p.is_company !== true)
        expect(people.length).toBeGreaterThan(0)
        for (const p of people) {
          const parent = Array.isArray(p.parent_id) ? p.parent_id[0] : p.parent_id
          expect(companyIds.has(parent), JSON.stringify(p)).toBe(true)
          expect(mine.emails.has(String(p.email)), String(p.email)).toBe(true)
        }
        // one lead per exported company
        expect(odoo.db.all("crm.lead")).toHaveLength(mine.qualifying.length)
      }
    })), 300_000)
})
