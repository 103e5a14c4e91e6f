/**
 * `leadgraph serve` over real HTTP on 127.0.0.1, against PGlite (and
 * Postgres when `DATABASE_URL` is set): every endpoint's success path, the
 * 400, 401, 403 and 409 answers, tenant isolation by token, and a CSV
 * round trip with hostile names.
 */
import { describe, expect, it } from "@effect/vitest"
import { Migrations } from "@leadgraph/adapters"
import { Store } from "@leadgraph/core"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import {
  adminToken,
  call,
  Launcher,
  layer,
  type Lead,
  OdooDbs,
  parseCsv,
  seedTenant,
  targets,
  tenantA,
  tenantB,
  tokenFor
} from "./harness.js"

const hostile = [
  "Comma, Inc.",
  "\"Quoted\" Holdings",
  "Line\nBreak GmbH",
  "Carriage\r\nReturn Ltd",
  "Ünïcødé Café 東京 🚀",
  "  leading and trailing  ",
  "=SUM(A1)",
  "semi;colon,\"mixed\"\n\"all\""
]

const leadsA: ReadonlyArray<Lead> = [
  ...hostile.map((name, i) => ({ name, domain: `hostile${i}.example`, score: 90 - i })),
  { name: "Low A", domain: "low-a.example", score: 10 },
  { name: "Shared A", domain: "shared.example", score: 75 }
]
const leadsB: ReadonlyArray<Lead> = [
  { name: "Only B", domain: "only-b.example", score: 88 },
  { name: "Shared B", domain: "shared.example", score: 65 },
  { name: "Low B", domain: "low-b.example", score: 5 }
]

const json = (text: string) => JSON.parse(text) as unknown

/** Python's csv module, as a second, independent parser (when python3 is on the machine). */
const pythonCsv = (text: string): Array<Array<string>> | undefined => {
  const r = spawnSync("python3", ["-c", "import csv,sys,json,io; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))"], {
    input: text,
    encoding: "utf8"
  })
  return r.status === 0 ? JSON.parse(r.stdout) : undefined
}

for (const target of targets("http")) {
  describe(`leadgraph serve (${target.label})`, () => {
    it.layer(layer(target.database), { timeout: "120 seconds" })((it) => {
      const tokens = Effect.gen(function*() {
        yield* seedTenant(tenantA, leadsA, { odoo: true })
        yield* seedTenant(tenantB, leadsB)
        return { a: yield* tokenFor(tenantA), b: yield* tokenFor(tenantB) }
      }).pipe(Effect.cached, Effect.runSync)

      it.effect("health, readiness, the OpenAPI document and the docs", () =>
        Effect.gen(function*() {
          const health = yield* call("/health")
          expect(health.status).toBe(200)
          expect(json(health.text)).toEqual({ status: "ok" })
          const ready = yield* call("/ready")
          expect(ready.status).toBe(200)
          expect(json(ready.text)).toMatchObject({ status: "ready", migrations: (yield* Migrations.loader()).length })
          const spec = yield* call("/openapi.json")
          expect(spec.status).toBe(200)
          const paths = Object.keys((json(spec.text) as { paths: Record<string, unknown> }).paths)
          expect(paths).toEqual(expect.arrayContaining([
            "/export/latest_scores.json",
            "/export/latest_scores.csv",
            "/export/odoo/sync",
            "/admin/runs",
            "/admin/runs/{id}",
            "/health",
            "/ready"
          ]))
          const docs = yield* call("/docs")
          expect(docs.status).toBe(200)
          expect(docs.type).toContain("text/html")
        }))

      it.effect("401 without a token or with a wrong one; 403 for a tenant token on /admin", () =>
        Effect.gen(function*() {
          const { a } = yield* tokens
          for (const path of ["/export/latest_scores.json", "/export/latest_scores.csv"]) {
            expect((yield* call(path)).status).toBe(401)
            expect((yield* call(path, { token: "lg_" + "x".repeat(43) })).status).toBe(401)
            expect((yield* call(path, { token: adminToken })).status).toBe(401)
          }
          expect((yield* call("/export/odoo/sync", { method: "POST" })).status).toBe(401)
          const noAdmin = yield* call("/admin/runs/x")
          expect(noAdmin.status).toBe(401)
          expect(json(noAdmin.text)).toMatchObject({ _tag: "Unauthorized" })
          expect((yield* call("/admin/runs/x", { token: "wrong" })).status).toBe(401)
          const tenantOnAdmin = yield* call("/admin/runs", { method: "POST", token: a, body: JSON.stringify({ all: true }) })
          expect(tenantOnAdmin.status).toBe(403)
          expect(json(tenantOnAdmin.text)).toMatchObject({ _tag: "Forbidden" })
          // the token decides the tenant; nothing in the query can change it
          expect((yield* call("/export/latest_scores.json?tenant=globex-software", { token: a })).status).toBe(400)
        }))

      it.effect("the JSON export: the caller's rows at or above the threshold, best first", () =>
        Effect.gen(function*() {
          const { a, b } = yield* tokens
          const answer = yield* call("/export/latest_scores.json", { token: a })
          expect(answer.status).toBe(200)
          expect(answer.type).toContain("application/json")
          const rows = json(answer.text) as Array<{ name: string; domain: string; score: number }>
          // SCORE_MIN_EXPORT is 60 here
          expect(rows.map((r) => r.domain).sort()).toEqual(
            leadsA.filter((l) => l.score >= 60).map((l) => l.domain).sort()
          )
          expect(rows.map((r) => r.score)).toEqual([...rows.map((r) => r.score)].sort((x, y) => y - x))
          expect(rows.find((r) => r.domain === "shared.example")?.name).toBe("Shared A")
          const all = json((yield* call("/export/latest_scores.json?min_score=0", { token: a })).text) as Array<unknown>
          expect(all).toHaveLength(leadsA.length)
          const none = yield* call("/export/latest_scores.json?min_score=100", { token: a })
          expect(json(none.text)).toEqual([])
          const rowsB = json((yield* call("/export/latest_scores.json?min_score=0", { token: b })).text) as Array<
            { name: string; domain: string }
          >
          expect(rowsB.map((r) => r.domain).sort()).toEqual(leadsB.map((l) => l.domain).sort())
          expect(rowsB.find((r) => r.domain === "shared.example")?.name).toBe("Shared B")
          expect(rowsB.some((r) => leadsA.some((l) => l.name === r.name))).toBe(false)
        }))

      it.effect("the CSV export: a header row, and hostile names survive a round trip (formulas neutralised)", () =>
        Effect.gen(function*() {
          const { a, b } = yield* tokens
          const answer = yield* call("/export/latest_scores.csv?min_score=0", { token: a })
          expect(answer.status).toBe(200)
          expect(answer.type).toContain("text/csv")
          const parsed = parseCsv(answer.text)
          expect(parsed[0]).toEqual(["company_id", "name", "domain", "website", "score", "bucket", "rationale", "scored_at"])
          const body = parsed.slice(1)
          expect(body).toHaveLength(leadsA.length)
          // a name a spreadsheet would run as a formula comes back neutralised (OWASP CSV injection)
          const neutralised = (name: string) => (/^[=+\-@\t\r]/.test(name) ? `'${name}` : name)
          expect(body.map((r) => r[1]).sort()).toEqual(leadsA.map((l) => neutralised(l.name)).sort())
          expect(body.map((r) => r[1])).toContain("'=SUM(A1)")
          expect(body.map((r) => r[6]).sort()).toEqual(leadsA.map((l) => `why ${l.name}`).sort())
          for (const row of body) expect(row).toHaveLength(8)
          const python = pythonCsv(answer.text)
          if (python !== undefined) expect(python).toEqual(parsed)
          const csvB = parseCsv((yield* call("/export/latest_scores.csv?min_score=0", { token: b })).text).slice(1)
          expect(csvB.map((r) => r[2]).sort()).toEqual(leadsB.map((l) => l.domain).sort())
        }))

      it.effect("400 on bad thresholds, unknown query fields and bad bodies", () =>
        Effect.gen(function*() {
          const { a } = yield* tokens
          for (const q of ["min_score=abc", "min_score=101", "min_score=-1", "min_score=", "limit=5", "min_score=50&x=1"]) {
            const answer = yield* call(`/export/latest_scores.json?${q}`, { token: a })
            expect(answer.status, q).toBe(400)
            expect(typeof (json(answer.text) as { message: unknown }).message).toBe("string")
          }
          const admin = { method: "POST", token: adminToken }
          for (
            const body of [
              JSON.stringify({ tenant: tenantA, bogus: 1 }),
              JSON.stringify({ tenant: "" }),
              JSON.stringify({ all: false }),
              JSON.stringify({ tenant: tenantA, limit: 0 }),
              JSON.stringify({}),
              "{not json",
              JSON.stringify({ tenant: "x".repeat(200_000) })
            ]
          ) {
            const answer = yield* call("/admin/runs", { ...admin, body })
            expect(answer.status, body.slice(0, 40)).toBe(400)
            expect(typeof (json(answer.text) as { message: unknown }).message).toBe("string")
          }
          const text = yield* call("/admin/runs", { ...admin, body: "tenant=x", type: "text/plain" })
          expect(text.status).toBe(400)
          const launched = yield* Effect.flatMap(Launcher, (l) => l.launched)
          expect(launched).toHaveLength(0)
        }))

      it.effect("the Odoo sync exports verified contacts only, and is idempotent; 409 without a connection", () =>
        Effect.gen(function*() {
          const { a, b } = yield* tokens
          const store = yield* Store.Store
          // contacts of the best lead: one verified valid, one invalid, one never verified
          const [best] = yield* store.forTenant(tenantA).companies.findByDomains(["hostile0.example" as never])
          yield* store.withTenant(tenantA, (t) =>
            Effect.gen(function*() {
              yield* t.leads.upsertContacts(["ok", "bad", "unknown"].map((who) => ({
                companyId: best!.id,
                email: `${who}@hostile0.example` as never,
                fullName: `Person ${who}`,
                title: null,
                phone: null,
                linkedinUrl: null,
                source: "lusha"
              })))
              yield* t.leads.upsertEmails([
                { email: "ok@hostile0.example" as never, companyId: best!.id, contactId: null, source: "lusha", status: "valid", subStatus: null, verifiedAt: new Date("2026-03-02T00:00:00Z") },
                { email: "bad@hostile0.example" as never, companyId: best!.id, contactId: null, source: "lusha", status: "invalid", subStatus: null, verifiedAt: new Date("2026-03-02T00:00:00Z") }
              ])
            }))
          const qualifying = leadsA.filter((l) => l.score >= 60).length
          const first = yield* call("/export/odoo/sync", { method: "POST", token: a })
          expect(first.status).toBe(200)
          expect(json(first.text)).toEqual({ leads: qualifying, created: qualifying, updated: 0, unchanged: 0, failed: 0, minScore: 60 })
          const again = yield* call("/export/odoo/sync", { method: "POST", token: a })
          expect(json(again.text)).toEqual({ leads: qualifying, created: 0, updated: 0, unchanged: qualifying, failed: 0, minScore: 60 })
          const db = (yield* OdooDbs).get(tenantA)!
          const partners = db.all("res.partner")
          const emails = partners.map((p) => p.email).filter((e) => typeof e === "string" && e.includes("@hostile0"))
          expect(emails).toEqual(["ok@hostile0.example"])
          expect(db.all("crm.lead")).toHaveLength(qualifying)
          const noConnection = yield* call("/export/odoo/sync", { method: "POST", token: b })
          expect(noConnection.status).toBe(409)
          expect((yield* OdooDbs).has(tenantB)).toBe(false)
        }))

      it.effect("admin kickoff: 202 with the run id, 409 while it goes, progress, then the summary", () =>
        Effect.gen(function*() {
          yield* tokens
          const admin = { method: "POST", token: adminToken }
          const started = yield* call("/admin/runs", { ...admin, body: JSON.stringify({ tenant: tenantA, limit: 5 }) })
          expect(started.status).toBe(202)
          const { runs } = json(started.text) as { runs: Array<{ id: string; tenantId: string }> }
          expect(runs).toHaveLength(1)
          expect(runs[0]!.tenantId).toBe(tenantA)
          const id = runs[0]!.id
          const busy = yield* call("/admin/runs", { ...admin, body: JSON.stringify({ tenant: tenantA }) })
          expect(busy.status).toBe(409)
          expect(json(busy.text)).toMatchObject({ _tag: "Conflict", runId: id })
          const missing = yield* call("/admin/runs", { ...admin, body: JSON.stringify({ tenant: "nobody" }) })
          expect(missing.status).toBe(404)
          // every active tenant (every tenant not disabled, B without an Odoo connection too): A is going already
          const all = yield* call("/admin/runs", { ...admin, body: JSON.stringify({ all: true }) })
          expect(all.status).toBe(202)
          expect(json(all.text)).toMatchObject({ runs: [{ tenantId: tenantB }], alreadyRunning: [{ id, tenantId: tenantA }], skipped: [] })
          const launcher = yield* Launcher
          expect((yield* launcher.launched).map((l) => [l.tenantId, l.limit])).toEqual([[tenantA, 5], [tenantB, undefined]])
          let status = yield* call(`/admin/runs/${id}`, { token: adminToken })
          expect(status.status).toBe(200)
          expect(json(status.text)).toMatchObject({ id, tenantId: tenantA, status: "running", progress: { total: 2, done: 1 }, summary: null })
          yield* launcher.release
          for (let i = 0; i < 100 && (json(status.text) as { status: string }).status === "running"; i++) {
            yield* Effect.yieldNow()
            status = yield* call(`/admin/runs/${id}`, { token: adminToken })
          }
          expect(json(status.text)).toMatchObject({ status: "succeeded", summary: { targets: { total: 0 } } })
          expect((json(status.text) as { finishedAt: string | null }).finishedAt).not.toBeNull()
          expect((yield* call("/admin/runs/nope", { token: adminToken })).status).toBe(404)
          expect((yield* call(`/admin/runs/${tenantA}-2026-03-02-zzzzzz`, { token: adminToken })).status).toBe(404)
          // a run recorded by another process is read from the store
          const store = yield* Store.Store
          const companies = yield* store.forTenant(tenantA).companies.findByDomains(["low-a.example" as never])
          const other = `${tenantA}-2026-03-02-abc123`
          yield* store.forTenant(tenantA).runs.create({
            runId: other as never,
            runDay: "2026-03-02",
            rerun: false,
            cap: 10,
            companyIds: companies.map((c) => c.id),
            caps: {}
          }, new Date("2026-03-02T01:00:00Z"))
          const recorded = yield* call(`/admin/runs/${other}`, { token: adminToken })
          expect(recorded.status).toBe(200)
          expect(json(recorded.text)).toMatchObject({
            id: other,
            tenantId: tenantA,
            status: "running",
            startedAt: "2026-03-02T01:00:00.000Z",
            progress: { total: 1, done: 0 }
          })
          const next = yield* call("/admin/runs", { ...admin, body: JSON.stringify({ tenant: tenantA }) })
          expect(next.status).toBe(202)
        }))
    })
  })
}
