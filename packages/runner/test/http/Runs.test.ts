/**
 * Run history over real HTTP on 127.0.0.1 against PGlite (and Postgres when
 * `DATABASE_URL` is set): `GET /admin/runs` pages through every tenant's
 * recorded runs (or one tenant's), and `GET /admin/runs/{id}/report.html`
 * answers a run's report as HTML; both take the admin token only.
 */
import { describe, expect, it } from "@effect/vitest"
import { Store } from "@leadgraph/core"
import type { Company, Run, Tenant } from "@leadgraph/core"
import { Effect } from "effect"
import { adminToken, call, layer, seedTenant, targets, tenantA, tenantB, tokenFor } from "./harness.js"

interface Page {
  readonly runs: ReadonlyArray<{ readonly id: string; readonly tenantId: string; readonly spend: unknown; readonly status: string }>
  readonly next: string | null
}

const page = (text: string) => JSON.parse(text) as Page

/** A finished run of the tenant over its companies, started `minute` minutes after 01:00 UTC. */
const recordRun = (tenantId: Tenant.TenantId, companies: ReadonlyArray<Company.Company>, suffix: string, minute: number) =>
  Effect.gen(function*() {
    const runs = (yield* Store.Store).forTenant(tenantId).runs
    const id = `${tenantId}-2026-03-03-${suffix}` as Run.RunId
    const startedAt = new Date(Date.UTC(2026, 2, 3, 1, minute))
    yield* runs.create({ runId: id, runDay: "2026-03-03", rerun: false, cap: 10, companyIds: companies.map((c) => c.id), caps: { "lusha.contacts": 20 } }, startedAt)
    // the company named like a script fails its contacts step: its name is in the report's examples
    yield* runs.recordOutcomes(id, companies.map((c, i) => ({
      companyId: c.id,
      status: c.name.startsWith("<") ? "partial" as const : "succeeded" as const,
      steps: {
        crawl: { status: "succeeded" as const, millis: 100 + i, reason: null },
        contacts: !c.name.startsWith("<")
          ? { status: "succeeded" as const, millis: 20, reason: null }
          : { status: "failed" as const, millis: 10, reason: "lusha.Unauthorized(401)" }
      },
      finishedAt: new Date(startedAt.getTime() + (i + 1) * 1000)
    })))
    yield* runs.finish(id, { status: "partial", finishedAt: new Date(startedAt.getTime() + 60_000), steps: {}, errorSummary: null, spend: { "lusha.contacts": 3 } })
    return id
  })

for (const target of targets("http_runs")) {
  describe(`leadgraph serve: run history (${target.label})`, () => {
    it.layer(layer(target.database), { timeout: "120 seconds" })((it) => {
      const seeded = Effect.gen(function*() {
        const a = yield* seedTenant(tenantA, [
          { name: "<script>alert(1)</script>", domain: "evil.example", score: 80 },
          { name: "Two", domain: "two.example", score: 40 }
        ])
        const b = yield* seedTenant(tenantB, [{ name: "Three", domain: "three.example", score: 70 }])
        const ids = [
          yield* recordRun(tenantA, a, "aaaaa1", 0),
          yield* recordRun(tenantB, b, "bbbbb1", 10),
          yield* recordRun(tenantA, a, "aaaaa2", 20)
        ]
        return ids
      }).pipe(Effect.cached, Effect.runSync)

      it.effect("GET /admin/runs pages through every tenant's runs, newest first; ?tenant keeps to one", () =>
        Effect.gen(function*() {
          const [a1, b1, a2] = yield* seeded
          const first = yield* call("/admin/runs?limit=2", { token: adminToken })
          expect(first.status).toBe(200)
          const p1 = page(first.text)
          expect(p1.runs.map((r) => r.id)).toEqual([a2, b1])
          expect(p1.runs[0]).toMatchObject({ tenantId: tenantA, status: "partial", spend: { "lusha.contacts": 3 } })
          expect(p1.next).not.toBeNull()
          const p2 = page((yield* call(`/admin/runs?limit=2&cursor=${encodeURIComponent(p1.next!)}`, { token: adminToken })).text)
          expect(p2.runs.map((r) => r.id)).toEqual([a1])
          expect(p2.next).toBeNull()
          const onlyB = page((yield* call(`/admin/runs?tenant=${tenantB}`, { token: adminToken })).text)
          expect(onlyB.runs.map((r) => r.id)).toEqual([b1])
          const onlyA = page((yield* call(`/admin/runs?tenant=${tenantA}`, { token: adminToken })).text)
          expect(onlyA.runs.map((r) => r.tenantId)).toEqual([tenantA, tenantA])
        }))

      it.effect("GET /admin/runs refuses a bad limit or cursor with 400, and anyone without the admin token", () =>
        Effect.gen(function*() {
          yield* seeded
          const badLimit = yield* call("/admin/runs?limit=0", { token: adminToken })
          expect(badLimit.status).toBe(400)
          expect(badLimit.text).toContain("limit must be an integer from 1 to 200")
          expect((yield* call("/admin/runs?cursor=nope", { token: adminToken })).status).toBe(400)
          expect((yield* call("/admin/runs")).status).toBe(401)
          expect((yield* call("/admin/runs", { token: "wrong" })).status).toBe(401)
          expect((yield* call("/admin/runs", { token: yield* tokenFor(tenantA) })).status).toBe(403)
        }))

      it.effect("GET /admin/runs/{id}/report.html answers the report as HTML, names escaped; 404 for an unknown run", () =>
        Effect.gen(function*() {
          const [a1] = yield* seeded
          const report = yield* call(`/admin/runs/${a1}/report.html`, { token: adminToken })
          expect(report.status).toBe(200)
          expect(report.type).toContain("text/html")
          expect(report.text).toContain("<svg id=\"chart-failures\"")
          expect(report.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
          expect(report.text).not.toContain("<script")
          const missing = yield* call(`/admin/runs/${tenantA}-2026-03-03-zzzzzz/report.html`, { token: adminToken })
          expect(missing.status).toBe(404)
          expect((yield* call(`/admin/runs/${a1}/report.html`)).status).toBe(401)
          expect((yield* call(`/admin/runs/${a1}/report.html`, { token: yield* tokenFor(tenantB) })).status).toBe(403)
        }))
    })
  })
}
