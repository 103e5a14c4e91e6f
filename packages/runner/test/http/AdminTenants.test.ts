/**
 * The admin API's tenant set-up endpoints over real HTTP, on PGlite and
 * (with `DATABASE_URL`) Postgres: tenants added, updated, listed, disabled
 * and enabled; ICP rules set as versions and read back; an Odoo
 * connection stored and tested; companies imported from CSV and JSON
 * Lines. 401 without the admin token, 403 with a tenant's, 404 for an
 * unknown tenant, 400 with one line per problem.
 */
import { describe, expect, it } from "@effect/vitest"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Option } from "effect"
import { adminToken, call, layer, targets, tokenFor } from "./harness.js"

const json = (text: string) => JSON.parse(text) as Record<string, unknown>
const admin = { token: adminToken }
const send = (method: string, path: string, body?: unknown, type?: string) =>
  call(path, {
    ...admin,
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    ...(type === undefined ? {} : { type })
  })

for (const target of targets("http_tenants")) {
  describe(`the admin tenant endpoints (${target.label})`, () => {
    it.layer(layer(target.database), { timeout: "120 seconds" })((it) => {
      it.effect("401 without the admin token, 403 with a tenant's, 404 for an unknown tenant", () =>
        Effect.gen(function*() {
          expect((yield* call("/admin/tenants")).status).toBe(401)
          expect((yield* send("POST", "/admin/tenants", { id: "auth-t" })).status).toBe(200)
          const tenantToken = yield* tokenFor(Tenant.TenantId.make("auth-t"))
          const forbidden = yield* call("/admin/tenants", { token: tenantToken })
          expect([forbidden.status, json(forbidden.text)._tag]).toEqual([403, "Forbidden"])
          for (
            const [method, path, body] of [
              ["POST", "/admin/tenants/nobody/disable", undefined],
              ["POST", "/admin/tenants/nobody/enable", undefined],
              ["PUT", "/admin/tenants/nobody/icp", []],
              ["GET", "/admin/tenants/nobody/icp", undefined],
              ["PUT", "/admin/tenants/nobody/odoo", { url: "https://o.example", database: "d", login: "l", secretRef: "env:X" }],
              ["POST", "/admin/tenants/nobody/odoo/test", undefined]
            ] as const
          ) {
            const answer = yield* send(method, path, body)
            expect([answer.status, json(answer.text)], path).toEqual([404, { _tag: "TenantNotFound", message: "no tenant \"nobody\"" }])
          }
          const csv = yield* send("POST", "/admin/tenants/nobody/companies", "name,domain\nA,a.example\n", "text/csv")
          expect(csv.status).toBe(404)
        }))

      it.effect("tenants: add, update, 400 with one line per problem, list, disable and enable", () =>
        Effect.gen(function*() {
          const added = yield* send("POST", "/admin/tenants", { id: "t-http", name: "T", dailyCap: 5 })
          expect([added.status, json(added.text)]).toEqual([200, {
            added: true,
            tenant: { id: "t-http", name: "T", status: "active", dailyCap: 5, timeZone: null }
          }])
          const updated = yield* send("POST", "/admin/tenants", { id: "t-http", timeZone: "Europe/Berlin" })
          expect(json(updated.text)).toMatchObject({ added: false, tenant: { name: "T", dailyCap: 5, timeZone: "Europe/Berlin" } })
          const bad = yield* send("POST", "/admin/tenants", { id: " ", dailyCap: 2.5, timeZone: "Nowhere/City" })
          expect(bad.status).toBe(400)
          expect(json(bad.text)).toMatchObject({
            _tag: "InvalidInput",
            problems: [
              "id: expected a tenant id of 1 to 64 characters without surrounding spaces, got \" \"",
              "daily cap: expected a non-negative integer, got 2.5",
              "time zone: expected an IANA time zone such as Asia/Singapore, got \"Nowhere/City\""
            ]
          })
          const disabled = yield* send("POST", "/admin/tenants/t-http/disable")
          expect(json(disabled.text)).toMatchObject({ id: "t-http", status: "disabled" })
          const listed = json((yield* send("GET", "/admin/tenants")).text) as unknown as ReadonlyArray<Record<string, unknown>>
          expect(listed.find((t) => t.id === "t-http")).toEqual({
            id: "t-http", name: "T", status: "disabled", dailyCap: 5, timeZone: "Europe/Berlin", odooConnected: false, companies: 0
          })
          expect((yield* Effect.flatMap(Store.Store, (s) => s.listActiveTenants({ include: [Tenant.TenantId.make("t-http")] })))).toEqual([])
          expect(json((yield* send("POST", "/admin/tenants/t-http/enable")).text)).toMatchObject({ status: "active" })
        }))

      it.effect("ICP rules: a version per change, unchanged rules make none, bad rules store nothing", () =>
        Effect.gen(function*() {
          yield* send("POST", "/admin/tenants", { id: "t-icp" })
          const rules = [{ name: "DACH", criteria: { country: ["Germany", "Austria"] }, weight: 30 }]
          expect(json((yield* send("PUT", "/admin/tenants/t-icp/icp", rules)).text)).toEqual({ version: 1, changed: true })
          expect(json((yield* send("PUT", "/admin/tenants/t-icp/icp", { rules })).text)).toEqual({ version: 1, changed: false })
          const bad = yield* send("PUT", "/admin/tenants/t-icp/icp", [...rules, { name: "Big", criteria: {}, weight: 150 }])
          expect([bad.status, json(bad.text).problems]).toEqual([400, ["rules[1].weight: expected a number from 0 to 100, got 150"]])
          const shown = json((yield* send("GET", "/admin/tenants/t-icp/icp")).text)
          expect(shown).toMatchObject({ version: 1, rules: [{ name: "DACH", weight: 30, active: true }] })
          expect(typeof shown.setAt).toBe("string")
          expect((yield* send("GET", "/admin/tenants/t-icp/icp?version=2")).status).toBe(404)
          expect((yield* send("GET", "/admin/tenants/t-icp/icp?version=0")).status).toBe(400)
          const active = yield* Effect.flatMap(Store.Store, (s) => s.forTenant(Tenant.TenantId.make("t-icp")).icpRules.listActive)
          expect(active.map((r) => r.name)).toEqual(["DACH"])
        }))

      it.effect("Odoo: a connection stored (400 for a bad one) and tested; no connection says so", () =>
        Effect.gen(function*() {
          yield* send("POST", "/admin/tenants", { id: "t-odoo" })
          const notYet = yield* send("POST", "/admin/tenants/t-odoo/odoo/test")
          expect(json(notYet.text)).toMatchObject({ ok: false, reason: "NoConnection" })
          const bad = yield* send("PUT", "/admin/tenants/t-odoo/odoo", {
            url: "javascript:alert(1)", database: "db", login: "bot", secretRef: "s3cret-password"
          })
          expect(bad.status).toBe(400)
          expect(bad.text).not.toContain("s3cret-password")
          expect((json(bad.text).problems as ReadonlyArray<string>).map((p) => p.split(":")[0])).toEqual(["url", "secret ref"])
          const stored = yield* send("PUT", "/admin/tenants/t-odoo/odoo", {
            url: "https://acme.odoo.example", database: "acme", login: "bot@acme.example", secretRef: "env:ODOO_PASSWORD_ACME",
            createLeads: false
          })
          expect(json(stored.text)).toEqual({
            url: "https://acme.odoo.example", database: "acme", login: "bot@acme.example",
            secretRef: "env:ODOO_PASSWORD_ACME", createLeads: false, active: true
          })
          const tested = yield* send("POST", "/admin/tenants/t-odoo/odoo/test")
          expect([tested.status, json(tested.text)]).toEqual([200, { ok: true, serverVersion: "17.0" }])
        }))

      it.effect("the OpenAPI document has a title, descriptions and ranges; 400s say what was expected", () =>
        Effect.gen(function*() {
          const spec = json((yield* call("/openapi.json")).text) as {
            info: { title: string; description: string }
            paths: Record<string, Record<string, { description?: string; parameters?: ReadonlyArray<{ name: string; description?: string; schema: Record<string, unknown> }> }>>
          }
          expect(spec.info.title).toBe("leadgraph")
          expect(spec.info.description).toContain("tenant")
          for (const [path, operations] of Object.entries(spec.paths)) {
            for (const [method, operation] of Object.entries(operations)) {
              expect(operation.description, `${method} ${path}`).toBeTruthy()
              for (const p of operation.parameters ?? []) expect(p.description, `${method} ${path} ${p.name}`).toBeTruthy()
            }
          }
          const minScore = spec.paths["/export/latest_scores.json"]!.get!.parameters!.find((p) => p.name === "min_score")!
          expect(minScore.schema).toMatchObject({ minimum: 0, maximum: 100 })

          yield* send("POST", "/admin/tenants", { id: "t-msg" })
          const token = yield* tokenFor(Tenant.TenantId.make("t-msg"))
          for (const q of ["min_score=abc", "min_score=101"]) {
            const answer = yield* call(`/export/latest_scores.json?${q}`, { token })
            expect([answer.status, json(answer.text).message]).toEqual([400, "min_score must be a number from 0 to 100"])
          }
          const unknown = yield* call("/export/latest_scores.json?bogus=1", { token })
          expect(json(unknown.text).message).toBe("bogus: is not a known field")
          const kickoff = yield* send("POST", "/admin/runs", { tenant: "t-msg", limit: 0 })
          expect(json(kickoff.text).message).toContain("limit must be an integer from 1 to 100000")
          expect(json(kickoff.text).message).not.toContain("Expected")
          const typed = yield* send("POST", "/admin/tenants", { id: "t-msg", dailyCap: "ten" })
          expect(typed.status).toBe(400)
          // a field that may be null says so in one line, not one line per type
          expect(json(typed.text).message).toBe("dailyCap: expected number or null, got \"ten\"")
        }))

      it.effect("companies: CSV and JSON Lines bodies imported with their rejected lines; other types refused", () =>
        Effect.gen(function*() {
          yield* send("POST", "/admin/tenants", { id: "t-co" })
          const csv = yield* send("POST", "/admin/tenants/t-co/companies",
            "name,website,country\nAcme,https://www.acme.example/,Germany\n,nameless.example,\n", "text/csv")
          expect([csv.status, json(csv.text)]).toEqual([200, {
            accepted: 1, rejected: 1, added: 1, updated: 0, unchanged: 0, repeated: 0,
            rejections: [{ line: 3, reason: "name is missing" }]
          }])
          const ndjson = yield* send("POST", "/admin/tenants/t-co/companies",
            `{"name":"Acme","domain":"acme.example","industry":"robotics"}\n{"name":"Beta","domain":"beta.example"}\nnot json\n`,
            "application/x-ndjson")
          expect(json(ndjson.text)).toMatchObject({ accepted: 2, rejected: 1, added: 1, updated: 1, rejections: [{ line: 3 }] })
          const plain = yield* send("POST", "/admin/tenants/t-co/companies", "name,domain\n", "text/plain")
          expect(plain.status).toBe(400)
          const listed = json((yield* send("GET", "/admin/tenants")).text) as unknown as ReadonlyArray<Record<string, unknown>>
          expect(listed.find((t) => t.id === "t-co")?.companies).toBe(2)
          const stored = yield* Effect.flatMap(Store.Store, (s) => s.forTenant(Tenant.TenantId.make("t-co")).tenants.get)
          expect(Option.isSome(stored)).toBe(true)
        }))
    })
  })
}
