/**
 * `POST /admin/runs` on a server without vendor keys: 503 naming the
 * missing variables, and nothing launched (PGlite, and Postgres when
 * `DATABASE_URL` is set).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { adminToken, call, Launcher, layer, seedTenant, targets, tenantA } from "./harness.js"

const missing = ["TAVILY_API_KEY", "OPENAI_API_KEY"]

for (const target of targets("http_not_configured")) {
  describe(`leadgraph serve without vendor keys (${target.label})`, () => {
    it.layer(layer(target.database, { missingVendorKeys: missing }), { timeout: "120 seconds" })((it) => {
      it.effect("a kickoff answers 503 with the missing variables and starts nothing", () =>
        Effect.gen(function*() {
          yield* seedTenant(tenantA, [{ name: "A", domain: "a.example", score: 80 }], { odoo: true })
          const admin = { method: "POST", token: adminToken }
          for (const body of [{ tenant: tenantA }, { all: true }]) {
            const answer = yield* call("/admin/runs", { ...admin, body: JSON.stringify(body) })
            expect(answer.status).toBe(503)
            expect(answer.type).toContain("application/json")
            const parsed = JSON.parse(answer.text) as { _tag: string; missing: Array<string>; message: string }
            expect(parsed._tag).toBe("NotConfigured")
            expect(parsed.missing).toEqual(missing)
            expect(parsed.message).toContain("TAVILY_API_KEY, OPENAI_API_KEY")
          }
          expect(yield* Effect.flatMap(Launcher, (l) => l.launched)).toEqual([])
          // the document says so
          const spec = JSON.parse((yield* call("/openapi.json")).text) as {
            paths: Record<string, { post?: { responses: Record<string, unknown> } }>
          }
          expect(Object.keys(spec.paths["/admin/runs"]!.post!.responses)).toContain("503")
        }))
    })
  })
}
