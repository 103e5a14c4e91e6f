/**
 * Migration 12: a company's `attributes`, the columns of an operator's
 * import file that are not the company's own fields (`CompanyImport`), as
 * a JSON object of text values. A later import merges its attributes into
 * the stored ones.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE companies ADD COLUMN IF NOT EXISTS attributes jsonb NOT NULL DEFAULT '{}'::jsonb`)
})
