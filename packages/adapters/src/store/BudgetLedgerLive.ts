/**
 * The SQL budget ledger: core's `BudgetLedger` port in Postgres, so several
 * processes share one cap. Counts are kept per tenant, budget and day
 * (`budget_ledger`), each reservation in `budget_reservations`, each owner
 * of a ledger — a run in a process — in `budget_owners` (migration 7).
 *
 * A ledger counts the day it is made for ({@link Options.day}, the run's
 * day): a run that crosses midnight keeps counting the day it started on.
 *
 * A reservation is one statement: an upsert of the day's row that adds the
 * units only when `committed + reserved + units <= cap` (the row lock taken
 * by `ON CONFLICT DO UPDATE` serialises concurrent reservations, and each
 * re-checks the cap against the latest row), chained to the insert of the
 * reservation under the ledger's owner. Settling is one statement too: it
 * marks the reservation settled (how, and with what use) and moves its
 * units from reserved to committed, so settling twice is a no-op.
 *
 * The owner is registered at its first reservation, with a lease of
 * {@link BudgetLedger.Lease.ttl} that a fiber in the ledger's scope renews
 * by the `Clock` (and the owner itself when it acts with less than one
 * renewal interval of it left). Once the owner's process dies (or its scope closes) the
 * lease lapses, and the owner's open reservations are settled as spent,
 * at their reserved units (`in_flight_at_crash`): their calls may have been
 * charged. Every reservation and every usage read first does that for its
 * budget (all days) in the same transaction, skipping rows another
 * transaction holds, so no background reaper is needed. A live owner's
 * reservations never expire.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { BudgetLedger } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import type { Scope } from "effect"
import { Clock, Duration, Effect, Layer, Option, Ref } from "effect"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { mapErrors } from "./internal/errors.js"
import * as Tenancy from "./Tenancy.js"

/**
 * Options of the SQL ledger: the tenant whose budgets it keeps, the caps
 * (as for the memory ledger), the owner (the day it counts, its run, its
 * lease) and the process recorded with the owner.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends BudgetLedger.Caps, BudgetLedger.OwnerOptions {
  readonly tenantId: Tenant.TenantId
  /** The process recorded with the owner, for people (default `host:pid`). */
  readonly process?: string | undefined
}

/**
 * Builds the SQL ledger of one tenant, held by a new owner for the life of
 * the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<BudgetLedger.Owned, never, Scope.Scope | Tenancy.Tenancy | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    const { day, tenantId } = options
    const terms = BudgetLedger.leaseOf(options.lease)
    const ttl = Duration.toMillis(terms.ttl)
    const ownerId = randomUUID()
    const processName = options.process ?? `${hostname()}:${process.pid}`
    // the lease end as last written; none until the owner is registered
    const lease = yield* Ref.make(Option.none<number>())
    const registering = yield* Effect.makeSemaphore(1)
    const capOf = (budget: string): number => BudgetLedger.capOf(options, budget)
    const scoped = <A, E, R>(budget: string, operation: string, effect: Effect.Effect<A, E, R>) =>
      tenancy.withTenant(tenantId, effect).pipe(
        mapErrors(operation),
        Effect.mapError((cause) => new BudgetLedger.LedgerError({ budget, cause })),
        Effect.withSpan(`BudgetLedgerLive.${operation}`, { attributes: { tenant: tenantId, budget } })
      )

    // Registers the owner at its first reservation, and renews its lease at
    // once when the owner acts with little of it left (its renewing fiber
    // was held up): an owner that acts is alive. In a transaction of its
    // own, before any reservation locks a ledger row.
    const ensureLease = (budget: string, register: boolean) =>
      registering.withPermits(1)(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const known = yield* Ref.get(lease)
        if (Option.isNone(known) ? !register : known.value - now >= Duration.toMillis(terms.renewEvery)) return
        yield* scoped(
          budget,
          "register",
          sql`INSERT INTO budget_owners AS o (id, tenant_id, run_id, process, day, started_at, lease_until)
            VALUES (${ownerId}::uuid, ${tenantId}, ${options.runId ?? null}, ${processName}, ${day.date}::date,
              ${new Date(now)}, ${new Date(now + ttl)})
            ON CONFLICT (id) DO UPDATE SET lease_until = GREATEST(o.lease_until, excluded.lease_until)`
        )
        yield* Ref.update(lease, (until) => Option.some(Math.max(now + ttl, Option.getOrElse(until, () => 0))))
      }))

    const renew = Effect.gen(function*() {
      if (Option.isNone(yield* Ref.get(lease))) return
      const now = yield* Clock.currentTimeMillis
      yield* tenancy.withTenant(
        tenantId,
        sql`UPDATE budget_owners SET lease_until = GREATEST(lease_until, ${new Date(now + ttl)})
          WHERE id = ${ownerId}::uuid`
      ).pipe(mapErrors("renew"), Effect.withSpan("BudgetLedgerLive.renew", { attributes: { tenant: tenantId } }))
      yield* Ref.update(lease, (until) => Option.some(Math.max(now + ttl, Option.getOrElse(until, () => 0))))
    })
    yield* BudgetLedger.keepLease(renew, terms)

    // a statement of its own: one statement cannot update a day's row twice
    const settleDead = (budget: string, now: number) =>
      sql`WITH dead AS (
          SELECT r.id FROM budget_reservations r LEFT JOIN budget_owners o ON o.id = r.owner_id
          WHERE r.tenant_id = ${tenantId} AND r.budget = ${budget} AND r.settled_at IS NULL
            AND (o.lease_until < ${new Date(now)}
              OR (r.owner_id IS NULL AND (r.reserved_until IS NULL OR r.reserved_until < ${new Date(now)})))
          FOR UPDATE OF r SKIP LOCKED
        ), settled AS (
          UPDATE budget_reservations r
          SET settled_at = ${new Date(now)}, settled_as = 'in_flight_at_crash', reserved_until = NULL
          FROM dead WHERE r.id = dead.id
          RETURNING r.tenant_id, r.budget, r.day, r.units
        ), per_day AS (
          SELECT tenant_id, budget, day, sum(units) AS units, count(*)::int AS n FROM settled
          GROUP BY tenant_id, budget, day
        )
        UPDATE budget_ledger l
        SET reserved = GREATEST(0, l.reserved - d.units), committed = l.committed + d.units,
          in_flight_at_crash = l.in_flight_at_crash + d.n
        FROM per_day d WHERE l.tenant_id = d.tenant_id AND l.budget = d.budget AND l.day = d.day`

    const runCapOf = (budget: string): number =>
      options.runId !== undefined && options.runCaps !== undefined && Object.prototype.hasOwnProperty.call(options.runCaps, budget)
        ? options.runCaps[budget]!
        : Infinity
    // What the run has used or holds on the budget, over all its owners (its
    // earlier attempts too): open reservations at their units, committed ones
    // at their use, those settled as in flight at a crash at the larger.
    const runUsed = (budget: string) =>
      Effect.map(
        sql<{ used: number }>`SELECT COALESCE(SUM(CASE
            WHEN r.settled_at IS NULL THEN r.units
            WHEN r.settled_as = 'in_flight_at_crash' THEN GREATEST(r.units, COALESCE(r.used, 0))
            ELSE COALESCE(r.used, 0) END), 0)::float8 AS used
          FROM budget_reservations r JOIN budget_owners o ON o.id = r.owner_id
          WHERE r.tenant_id = ${tenantId} AND r.budget = ${budget} AND r.day = ${day.date}::date
            AND o.run_id = ${options.runId ?? null}`,
        (rows) => Number(rows[0]?.used ?? 0)
      )
    // the run's reservations are taken one at a time, so the run cap is checked
    // against all of them (a run goes in one process: it holds its run lock)
    const runReserving = yield* Effect.makeSemaphore(1)

    const tryReserve = (budget: string, units: number) =>
      Effect.gen(function*() {
        const cap = capOf(budget)
        const runCap = runCapOf(budget)
        if (!(units >= 0) || !Number.isFinite(units) || units > cap || units > runCap) {
          return Option.none<BudgetLedger.Reservation>()
        }
        yield* ensureLease(budget, true)
        const now = yield* Clock.currentTimeMillis
        const capParam = Number.isFinite(cap) ? cap : null
        const insert = sql<{ id: string }>`WITH account AS (
            INSERT INTO budget_ledger AS l (tenant_id, budget, day, cap, reserved)
            VALUES (${tenantId}, ${budget}, ${day.date}::date, ${capParam}::float8, ${units}::float8)
            ON CONFLICT (tenant_id, budget, day) DO UPDATE
              SET reserved = l.reserved + excluded.reserved, cap = excluded.cap
              WHERE excluded.cap IS NULL OR l.committed + l.reserved + excluded.reserved <= excluded.cap
            RETURNING tenant_id, budget, day
          )
          INSERT INTO budget_reservations (tenant_id, budget, day, units, owner_id, created_at)
          SELECT tenant_id, budget, day, ${units}::float8, ${ownerId}::uuid, ${new Date(now)} FROM account
          RETURNING id::text AS id`
        const reserve = Number.isFinite(runCap)
          ? Effect.flatMap(runUsed(budget), (used) => used + units > runCap ? Effect.succeed([]) : insert)
          : insert
        const rows = yield* scoped(budget, "tryReserve", Effect.zipRight(settleDead(budget, now), reserve)).pipe(
          Number.isFinite(runCap) ? runReserving.withPermits(1) : (self) => self
        )
        return Option.map(Option.fromNullable(rows[0]), (row): BudgetLedger.Reservation => ({
          id: row.id,
          budget,
          units
        }))
      })

    const settle = (reservation: BudgetLedger.Reservation, reported: number) =>
      Effect.gen(function*() {
        const used = Math.max(0, reported)
        const now = yield* Clock.currentTimeMillis
        const closed = yield* sql`WITH r AS (
            UPDATE budget_reservations
            SET settled_at = ${new Date(now)}, settled_as = ${used > 0 ? "committed" : "released"}, used = ${used}::float8,
              reserved_until = NULL
            WHERE tenant_id = ${tenantId} AND id = ${reservation.id}::uuid AND settled_at IS NULL
            RETURNING tenant_id, budget, day, units
          )
          UPDATE budget_ledger l
            SET reserved = GREATEST(0, l.reserved - r.units), committed = l.committed + ${used}::float8
          FROM r WHERE l.tenant_id = r.tenant_id AND l.budget = r.budget AND l.day = r.day
          RETURNING 1 AS one`
        if (closed.length > 0) return
        // settled meanwhile as in flight at a crash (its owner was taken for dead):
        // a statement of its own, which sees that settlement once it committed
        yield* sql`WITH r AS (
            UPDATE budget_reservations SET used = ${used}::float8
            WHERE tenant_id = ${tenantId} AND id = ${reservation.id}::uuid
              AND settled_as = 'in_flight_at_crash' AND used IS NULL
            RETURNING tenant_id, budget, day, GREATEST(0, ${used}::float8 - units) AS extra
          )
          UPDATE budget_ledger l SET committed = l.committed + r.extra
          FROM r WHERE l.tenant_id = r.tenant_id AND l.budget = r.budget AND l.day = r.day AND r.extra > 0`
      }).pipe((effect) => scoped(reservation.budget, "settle", effect))

    const usage = (budget: string) =>
      Effect.gen(function*() {
        yield* ensureLease(budget, false)
        const now = yield* Clock.currentTimeMillis
        const rows = yield* scoped(
          budget,
          "usage",
          Effect.zipRight(
            settleDead(budget, now),
            sql<{ reserved: number; committed: number; in_flight_at_crash: number }>`
              SELECT reserved, committed, in_flight_at_crash FROM budget_ledger
              WHERE tenant_id = ${tenantId} AND budget = ${budget} AND day = ${day.date}::date`
          )
        )
        const crashed = rows[0]?.in_flight_at_crash ?? 0
        return {
          budget,
          cap: capOf(budget),
          reserved: rows[0]?.reserved ?? 0,
          committed: rows[0]?.committed ?? 0,
          ...(crashed > 0 ? { inFlightAtCrash: crashed } : {})
        } satisfies BudgetLedger.Usage
      })

    return {
      ownerId,
      day,
      leaseUntil: Ref.get(lease),
      tryReserve,
      settle,
      usage
    } satisfies BudgetLedger.Owned
  })

/**
 * The SQL ledger of one tenant as a Layer, held by a new owner for the
 * layer's life.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<BudgetLedger.BudgetLedger, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.scoped(BudgetLedger.BudgetLedger, make(options))
