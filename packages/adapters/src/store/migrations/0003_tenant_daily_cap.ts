/**
 * Migration 3: a per-tenant daily cap. `tenants.daily_cap`, when set,
 * overrides `SCHED_DAILY_CAP_PER_TENANT` for that tenant; `NULL` means the
 * global cap applies.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS daily_cap integer NULL
    CONSTRAINT tenants_daily_cap_check CHECK (daily_cap IS NULL OR daily_cap >= 0)`)
})
