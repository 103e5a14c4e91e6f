/**
 * Migration 6: tenant API tokens. A token is stored only as the SHA-256 of
 * its text (tokens are 256 random bits, so a fast hash is enough); its row
 * names the tenant it speaks for. The table is a tenant table like the
 * others (row-level security, forced), and may also be read, never written,
 * in the registry scope: that is how a request's token is looked up before
 * its tenant is known (by hash only, see `ApiTokens.resolve`).
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
export const tenantTables = ["api_tokens"] as const

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS api_tokens (
      token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
      tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
      name text NOT NULL,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`)
    yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS api_tokens_tenant_idx ON api_tokens (tenant_id)`)
    for (const table of tenantTables) yield* isolate(table, appRole)
    yield* sql.unsafe(`DROP POLICY IF EXISTS registry_read ON api_tokens`)
    yield* sql.unsafe(
      `CREATE POLICY registry_read ON api_tokens FOR SELECT
        USING (current_setting('app.scope', true) = 'registry')`
    )
  })
