/**
 * The SQL budget ledger: core's `BudgetLedger` port in Postgres, so several
 * processes share one cap. Counts are kept per tenant, budget and day
 * (`budget_ledger`), each open reservation in `budget_reservations`.
 *
 * A reservation is one statement: an upsert of the day's row that adds the
 * units only when `committed + reserved + units <= cap` (the row lock taken
 * by `ON CONFLICT DO UPDATE` serialises concurrent reservations, and each
 * re-checks the cap against the latest row), chained to the insert of the
 * reservation. Settling is one statement too: it deletes the reservation and
 * moves its units from reserved to committed, so settling twice is a no-op.
 * A reservation expires {@link Options.reservationTtl} after it was made
 * (by the `Clock`): a process that dies holding one would otherwise keep its
 * units reserved for the rest of the day. Each reservation first reclaims
 * the expired ones of its tenant, budget and day (deletes them and gives
 * their units back), in the same transaction. Settling a reservation that
 * was reclaimed commits nothing, so the TTL must outlast the longest paid
 * call; the default, an hour, is far longer than any vendor timeout.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { BudgetLedger } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Clock, Duration, Effect, Layer, Option } from "effect"
import { mapErrors } from "./internal/errors.js"
import * as Tenancy from "./Tenancy.js"

/**
 * Options of the SQL ledger: the tenant whose budgets it keeps, the caps
 * (as for the memory ledger), and the time zone that decides when a day
 * starts (default `UTC`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends BudgetLedger.Caps {
  readonly tenantId: Tenant.TenantId
  readonly timeZone?: string | undefined
  /** How long a reservation holds its units unsettled (default {@link defaultReservationTtl}). */
  readonly reservationTtl?: Duration.DurationInput | undefined
}

/**
 * How long a reservation holds its units before a later reservation may
 * reclaim them.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultReservationTtl: Duration.Duration = Duration.hours(1)

/**
 * Builds the SQL ledger of one tenant.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<BudgetLedger.Service, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    const { tenantId } = options
    const dayFormat = new Intl.DateTimeFormat("en-CA", {
      timeZone: options.timeZone ?? "UTC",
      year: "numeric",
      month: "2-digit",
      day: "2-digit"
    })
    const ttl = Duration.toMillis(Duration.decode(options.reservationTtl ?? defaultReservationTtl))
    const today = Effect.map(Clock.currentTimeMillis, (ms) => dayFormat.format(ms))
    const capOf = (budget: string): number => BudgetLedger.capOf(options, budget)
    const scoped = <A, E, R>(budget: string, operation: string, effect: Effect.Effect<A, E, R>) =>
      tenancy.withTenant(tenantId, effect).pipe(
        mapErrors(operation),
        Effect.mapError((cause) => new BudgetLedger.LedgerError({ budget, cause })),
        Effect.withSpan(`PgBudgetLedger.${operation}`, { attributes: { tenant: tenantId, budget } })
      )

    const tryReserve = (budget: string, units: number) =>
      Effect.gen(function*() {
        const cap = capOf(budget)
        if (!(units >= 0) || !Number.isFinite(units) || units > cap) return Option.none<BudgetLedger.Reservation>()
        const now = yield* Clock.currentTimeMillis
        const day = dayFormat.format(now)
        const capParam = Number.isFinite(cap) ? cap : null
        // a separate statement: one statement cannot update the day's row twice
        const reclaim = sql`WITH expired AS (
            DELETE FROM budget_reservations
            WHERE tenant_id = ${tenantId} AND budget = ${budget} AND day = ${day}::date
              AND reserved_until < ${new Date(now)}
            RETURNING units
          )
          UPDATE budget_ledger l SET reserved = GREATEST(0, l.reserved - e.units)
          FROM (SELECT sum(units) AS units FROM expired HAVING count(*) > 0) e
          WHERE l.tenant_id = ${tenantId} AND l.budget = ${budget} AND l.day = ${day}::date`
        const rows = yield* scoped(
          budget,
          "tryReserve",
          Effect.zipRight(reclaim, sql<{ id: string }>`WITH account AS (
            INSERT INTO budget_ledger AS l (tenant_id, budget, day, cap, reserved)
            VALUES (${tenantId}, ${budget}, ${day}::date, ${capParam}::float8, ${units}::float8)
            ON CONFLICT (tenant_id, budget, day) DO UPDATE
              SET reserved = l.reserved + excluded.reserved, cap = excluded.cap
              WHERE excluded.cap IS NULL OR l.committed + l.reserved + excluded.reserved <= excluded.cap
            RETURNING tenant_id, budget, day
          )
          INSERT INTO budget_reservations (tenant_id, budget, day, units, reserved_until)
          SELECT tenant_id, budget, day, ${units}::float8, ${new Date(now + ttl)} FROM account
          RETURNING id::text AS id`)
        )
        return Option.map(Option.fromNullable(rows[0]), (row): BudgetLedger.Reservation => ({
          id: row.id,
          budget,
          units
        }))
      })

    const settle = (reservation: BudgetLedger.Reservation, used: number) =>
      scoped(
        reservation.budget,
        "settle",
        sql`WITH r AS (
          DELETE FROM budget_reservations WHERE tenant_id = ${tenantId} AND id = ${reservation.id}::uuid
          RETURNING tenant_id, budget, day, units
        )
        UPDATE budget_ledger l
          SET reserved = GREATEST(0, l.reserved - r.units), committed = l.committed + ${Math.max(0, used)}::float8
        FROM r WHERE l.tenant_id = r.tenant_id AND l.budget = r.budget AND l.day = r.day`
      ).pipe(Effect.asVoid)

    const usage = (budget: string) =>
      Effect.gen(function*() {
        const day = yield* today
        const rows = yield* scoped(
          budget,
          "usage",
          sql<{ reserved: number; committed: number }>`SELECT reserved, committed FROM budget_ledger
            WHERE tenant_id = ${tenantId} AND budget = ${budget} AND day = ${day}::date`
        )
        return {
          budget,
          cap: capOf(budget),
          reserved: rows[0]?.reserved ?? 0,
          committed: rows[0]?.committed ?? 0
        } satisfies BudgetLedger.Usage
      })

    return { tryReserve, settle, usage } satisfies BudgetLedger.Service
  })

/**
 * The SQL ledger of one tenant as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<BudgetLedger.BudgetLedger, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(BudgetLedger.BudgetLedger, make(options))
