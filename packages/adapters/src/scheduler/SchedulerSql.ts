/**
 * The scheduler's state in the database, shared by every process that runs
 * `leadgraph schedule` on it: a tick is taken by one process (an insert
 * into `leadgraph_scheduler_ticks`, migration 16, that only one can make),
 * which runs the night; the others log that it is not theirs. The last tick
 * taken, by whichever process, is what a restart catches up from.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { hostname } from "node:os"
import * as Scheduler from "./Scheduler.js"

/**
 * The schedule a tick belongs to: its pattern in its zone. Processes with
 * the same `SCHED_CRON` and `SCHED_TZ` share their ticks.
 *
 * @since 0.1.0
 * @category state
 */
export const scheduleKey = (options: Pick<Scheduler.Options, "cron" | "timeZone">): string =>
  `${options.cron} @ ${options.timeZone}`

/**
 * A `Scheduler.State` over the `SqlClient` in context, for the schedule of
 * `options`; `holder` names this process in the table (default
 * `<hostname>:<pid>`).
 *
 * @since 0.1.0
 * @category state
 */
export const state = (
  options: Pick<Scheduler.Options, "cron" | "timeZone">,
  holder: string = `${hostname()}:${process.pid}`
): Effect.Effect<Scheduler.State, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql): Scheduler.State => {
    const schedule = scheduleKey(options)
    const fail = (detail: string) => (cause: unknown) => new Scheduler.SchedulerError({ reason: "State", detail, cause })
    const claim = (tick: Date) =>
      sql<{ tick: Date }>`INSERT INTO leadgraph_scheduler_ticks (schedule, tick, holder)
        VALUES (${schedule}, ${tick}, ${holder})
        ON CONFLICT (schedule, tick) DO NOTHING RETURNING tick`.pipe(
        Effect.map((rows) => rows.length === 1),
        Effect.mapError(fail(`cannot take the tick ${tick.toISOString()} in the database`)),
        Effect.withSpan("SchedulerSql.claim", { attributes: { schedule, tick: tick.toISOString() } })
      )
    return {
      lastTick: sql<{ tick: Date | null }>`SELECT max(tick) AS tick FROM leadgraph_scheduler_ticks
        WHERE schedule = ${schedule}`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]?.tick), (t) => new Date(t))),
        Effect.mapError(fail("cannot read the last tick from the database")),
        Effect.withSpan("SchedulerSql.lastTick", { attributes: { schedule } })
      ),
      recordTick: (tick) => Effect.asVoid(claim(tick)),
      claim
    }
  })
