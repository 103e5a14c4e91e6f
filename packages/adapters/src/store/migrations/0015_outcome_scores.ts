/**
 * Migration 15: `company_enrichment_runs.score`, the lead score a run gave
 * each company it scored (`NULL`: not scored in that run, or recorded
 * before). A run's report draws its score distribution from it, so a later
 * run that scores the company again does not change an earlier report.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE company_enrichment_runs ADD COLUMN IF NOT EXISTS score double precision`)
})
