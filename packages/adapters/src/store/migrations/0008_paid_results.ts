/**
 * Migration 8: `paid_results`, the store of core's `PaidResults` port: the
 * decoded answer of each paid vendor call, per tenant, under its kind (what
 * call it answers, e.g. `lusha.enrich/v1`) and key (what was asked, usually
 * a hash), until it expires. A tenant table like the others: row-level
 * security, enabled and forced.
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
export const tenantTables = ["paid_results"] as const

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS paid_results (
      tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind <> ''),
      key text NOT NULL,
      value jsonb NOT NULL,
      stored_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL CHECK (expires_at >= stored_at),
      PRIMARY KEY (tenant_id, kind, key)
    )`)
    // removing a tenant's expired entries reads this index
    yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS paid_results_expiry_idx ON paid_results (tenant_id, expires_at)`)
    for (const table of tenantTables) yield* isolate(table, appRole)
  })
