/**
 * Migration 11: lead creation becomes a setting of each tenant's Odoo
 * connection. `odoo_connections.create_leads`: when true (the default, and
 * what every existing connection gets) the export keeps the company's one
 * `crm.lead`; when false it exports the company and its contacts only and
 * leaves the tenant's leads alone.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE odoo_connections ADD COLUMN IF NOT EXISTS create_leads boolean NOT NULL DEFAULT true`)
})
