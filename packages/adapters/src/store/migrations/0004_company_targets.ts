/**
 * Migration 4: the target-selection state of each company moves from
 * `companies` to a narrow table of its own, `company_targets` (has features,
 * has contacts, last enriched), with the index whose order is that of
 * `selectTargets`.
 *
 * Why: the first contact (or features) of a company flips its flag, and a
 * flag in an index cannot be updated in place (no HOT update). On the wide
 * `companies` row, with four indexes, each flip cost a new row version and
 * four index entries, about half the time of a batched contact upsert. On
 * the narrow row it is one small row version and two index entries. The
 * enrichment time moves too, so recording outcomes no longer writes
 * `companies` at all.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { isolate } from "./0002_security.js"

/**
 * The tenant tables this migration adds.
 *
 * @internal
 */
export const tenantTables = ["company_targets"] as const

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS company_targets (
      tenant_id text NOT NULL,
      company_id uuid NOT NULL,
      has_features boolean NOT NULL DEFAULT false,
      has_contacts boolean NOT NULL DEFAULT false,
      last_enriched_at timestamptz,
      PRIMARY KEY (tenant_id, company_id),
      FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
    )`)
    // target selection: the ORDER BY of selectTargets, so a LIMIT reads the index
    yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS company_targets_order_idx
      ON company_targets (tenant_id, has_features, has_contacts, last_enriched_at NULLS FIRST, company_id)`)
    yield* sql.unsafe(`INSERT INTO company_targets (tenant_id, company_id, has_features, has_contacts, last_enriched_at)
      SELECT tenant_id, id, has_features, has_contacts, last_enriched_at FROM companies
      ON CONFLICT (tenant_id, company_id) DO NOTHING`)
    yield* sql.unsafe(`DROP INDEX IF EXISTS companies_targets_idx`)
    yield* sql.unsafe(`ALTER TABLE companies DROP COLUMN IF EXISTS has_features,
      DROP COLUMN IF EXISTS has_contacts, DROP COLUMN IF EXISTS last_enriched_at`)
    for (const table of tenantTables) yield* isolate(table, appRole)
  })
