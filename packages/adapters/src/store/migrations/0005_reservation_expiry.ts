/**
 * Migration 5: budget reservations expire. `budget_reservations.reserved_until`
 * is when a reservation may be reclaimed (its units given back to the day's
 * budget) by a later reservation of the same tenant, budget and day: a
 * process that dies holding one no longer keeps its units reserved for the
 * rest of the day. Reservations made before this migration never expire.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE budget_reservations ADD COLUMN IF NOT EXISTS reserved_until timestamptz`)
  yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS budget_reservations_expiry_idx
    ON budget_reservations (tenant_id, budget, day, reserved_until)`)
})
