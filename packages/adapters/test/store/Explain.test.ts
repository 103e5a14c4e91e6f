/**
 * On 100,000 companies of one tenant, target selection and the keyset pages
 * of the score export (PGlite's) read an index in order instead of sorting
 * the table: their plans have an index scan on the ordering index and no
 * Sort node. The export streamed through a cursor (Postgres) is one
 * statement planned for full retrieval: the server may sort it, and the
 * client still holds only a fetch at a time.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { StoreLive, Tenancy } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { RunDay, Store, Tenant } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import { exportStatement, targetsStatement } from "../../src/store/internal/companies.js"
import { targets } from "./harness.js"

interface PlanNode {
  readonly "Node Type": string
  readonly "Index Name"?: string
  readonly "Relation Name"?: string
  readonly "Index Cond"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (plan: PlanNode): ReadonlyArray<PlanNode> => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

const tenantId = Tenant.TenantId.make("explain")
const runDay: RunDay.RunDay = { date: "2026-03-02", timeZone: "Asia/Singapore" }

const explain = (statement: { compile: () => readonly [string, ReadonlyArray<unknown>] }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tenancy = yield* Tenancy.Tenancy
    const [text, params] = statement.compile()
    const rows = yield* tenancy.withTenant(
      tenantId,
      sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params)
    )
    const raw = rows[0]!["QUERY PLAN"]
    const json = (typeof raw === "string" ? JSON.parse(raw) : raw) as ReadonlyArray<{ Plan: PlanNode }>
    return nodes(json[0]!.Plan)
  })

for (const target of targets("explain")) {
  describe(`EXPLAIN on 100,000 companies (${target.label})`, () => {
    const layer = StoreLive.layer().pipe(Layer.provideMerge(target.database))
    it.layer(layer, { timeout: "180 seconds" })((it) => {
      it.effect("selection and export use their indexes, not a sort of the table", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tenancy = yield* Tenancy.Tenancy
          const store = yield* Store.Store
          yield* store.forTenant(tenantId).tenants.save({ name: "Explain" })
          // in slices, so an in-process PGlite lets the test runner breathe between them
          yield* Effect.forEach([0, 1, 2, 3, 4], (slice) =>
            tenancy.withTenant(
              tenantId,
              sql`WITH c AS (
                  INSERT INTO companies (tenant_id, name, domain)
                  SELECT ${tenantId}, 'Company ' || g, 'c' || g || '.example'
                  FROM generate_series(${slice * 20000 + 1}::int, ${(slice + 1) * 20000}::int) g
                  RETURNING tenant_id, id, split_part(substr(domain, 2), '.', 1)::int AS g
                )
                INSERT INTO company_targets (tenant_id, company_id, has_features, has_contacts, last_enriched_at)
                SELECT tenant_id, id, g % 3 <> 0, g % 5 <> 0,
                  CASE WHEN g % 2 = 0 THEN timestamptz '2026-01-01' + g * interval '1 minute' END
                FROM c`
            ), { discard: true })
          yield* Effect.forEach([0, 1, 2, 3], (slice) =>
            tenancy.withTenant(
              tenantId,
              sql`INSERT INTO lead_scores (tenant_id, company_id, score, bucket, scored_at)
                SELECT tenant_id, id, (hashtext(domain) & 1023) % 101, 'medium', timestamptz '2026-03-01'
                FROM companies WHERE tenant_id = ${tenantId} AND (hashtext(domain) & 3) = ${slice}`
            ), { discard: true })
          // statistics are the owner's to gather (the runtime role owns no table)
          const owner = yield* TestDatabases.Owner
          yield* owner.transaction((sql) =>
            Effect.all([sql`ANALYZE companies`, sql`ANALYZE company_targets`, sql`ANALYZE lead_scores`])
          )
          const counted = yield* tenancy.withTenant(tenantId, sql<{ n: number }>`SELECT count(*)::int AS n FROM companies`)
          expect(counted[0]!.n).toBe(100000)

          const selection = yield* explain(
            targetsStatement(sql, tenantId, { cap: 500, runDay }, Option.getOrThrow(RunDay.bounds(runDay)))
          )
          expect(selection.map((n) => n["Node Type"])).not.toContain("Sort")
          expect(selection.some((n) => n["Index Name"] === "company_targets_order_idx")).toBe(true)

          // keyset pages (on PGlite): the first page and a page in the middle
          for (const after of [undefined, [80, "80000000-0000-4000-8000-000000000000"] as const]) {
            const exported = yield* explain(
              exportStatement(sql, tenantId, 70, { after, limit: StoreLive.exportPageSize })
            )
            expect(exported.map((n) => n["Node Type"])).not.toContain("Sort")
            const scan = exported.find((n) => n["Index Name"] === "lead_scores_score_idx")
            expect(scan).toBeDefined()
            // the resume point is an index condition, so each page starts where the last ended
            if (after !== undefined) expect(scan!["Index Cond"]).toContain("company_id")
          }
        }), 180_000)
    })
  })
}
