/**
 * The secondary indexes of the hot paths, as the migrations leave them
 * (read from `pg_indexes`), and which of the plan's names each one stands
 * for:
 *
 * - `idx_contacts_company`: `contacts_company_id_idx` on `contacts
 *   (company_id)`, read by a company's contacts (`leads.contactsOf`, the
 *   Odoo sync) and by the cascade from `companies`.
 * - `idx_lead_scores_score`: `lead_scores_score_idx` on `lead_scores
 *   (tenant_id, score DESC NULLS LAST, company_id DESC)`, read in order by
 *   the score export (see Explain.test.ts).
 * - `idx_companies_last_seen`: none. `companies_last_seen_idx` served no
 *   query and migration 10 dropped it; target selection reads
 *   `company_targets_order_idx`.
 *
 * The test fails when an index comes back, goes away or changes its columns.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { StoreLive } from "@leadgraph/adapters"
import { Effect, Layer } from "effect"
import { targets } from "./harness.js"

const tables = ["companies", "company_targets", "contacts", "lead_scores"]

/** The column list of an index definition: `CREATE INDEX x ON s.t USING btree (a, b)` gives `a, b`. */
const columnsOf = (indexdef: string) => indexdef.slice(indexdef.indexOf("(") + 1, indexdef.lastIndexOf(")"))

for (const target of targets("indexes")) {
  describe(`indexes of the hot paths (${target.label})`, () => {
    const layer = StoreLive.layer().pipe(Layer.provideMerge(target.database))
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("contacts by company and scores best first are indexed; companies by last_seen is not", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ table: string; index: string; indexdef: string }>`
            SELECT tablename AS table, indexname AS index, indexdef FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename IN ${sql.in(tables)}
            ORDER BY tablename, indexname`
          const indexes = Object.fromEntries(rows.map((r) => [r.index, `${r.table} (${columnsOf(r.indexdef)})`]))
          expect(indexes).toEqual({
            // keys
            companies_pkey: "companies (tenant_id, id)",
            companies_tenant_id_domain_key: "companies (tenant_id, domain)",
            company_targets_pkey: "company_targets (tenant_id, company_id)",
            contacts_pkey: "contacts (tenant_id, id)",
            contacts_tenant_id_email_key: "contacts (tenant_id, email)",
            lead_scores_pkey: "lead_scores (tenant_id, company_id)",
            // the plan's idx_contacts_company
            contacts_company_id_idx: "contacts (company_id)",
            // the plan's idx_lead_scores_score
            lead_scores_score_idx: "lead_scores (tenant_id, score DESC NULLS LAST, company_id DESC)",
            // target selection
            company_targets_order_idx:
              "company_targets (tenant_id, has_features, has_contacts, last_enriched_at NULLS FIRST, company_id)"
          })
          // the plan's idx_companies_last_seen, under any name: no index of companies reads last_seen
          expect(rows.filter((r) => r.table === "companies" && columnsOf(r.indexdef).includes("last_seen"))).toEqual([])
        }))
    })
  })
}
