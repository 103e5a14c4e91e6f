/**
 * Migration 16: `leadgraph_scheduler_ticks`, the ticks of the nightly
 * schedule that processes took (`SchedulerSql`): one row per schedule
 * (`SCHED_CRON @ SCHED_TZ`) and tick, made by the one process that runs it.
 * It holds no tenant data, so it is not under row-level security; the
 * application role may read and add rows, nothing else.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const ident = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS leadgraph_scheduler_ticks (
      schedule text NOT NULL CHECK (length(schedule) BETWEEN 1 AND 300),
      tick timestamptz NOT NULL,
      holder text NOT NULL,
      taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (schedule, tick)
    )`)
    yield* sql.unsafe(`REVOKE ALL ON leadgraph_scheduler_ticks FROM PUBLIC`)
    yield* sql.unsafe(`GRANT SELECT, INSERT ON leadgraph_scheduler_ticks TO ${ident(appRole)}`)
  })
