/**
 * Migration 10: drop `companies_last_seen_idx` (`companies (tenant_id,
 * last_seen DESC NULLS LAST)`, the plan's `idx_companies_last_seen`). No
 * query filters or orders companies by `last_seen`: target selection reads
 * `company_targets_order_idx`, and `last_seen` is only written (by the
 * company upsert) and read back as a column. The index cost every company
 * upsert that moved `last_seen` a new index entry and served nothing. A
 * query that comes to need it should bring it back in a migration of its
 * own, with the test that shows the query reads it.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP INDEX IF EXISTS companies_last_seen_idx`)
})
