/**
 * The SQL ledger's owners on PGlite and Postgres: the contract suite (the
 * property over random interleavings included), and what only SQL shows:
 * the owner's row (its run, process, day and a lease that moves with the
 * `Clock`), the per-reservation record of how each was settled, and
 * reservations made before migration 7 (no owner), which are settled as
 * spent once their old expiry passes, never released.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { BudgetLedgerLive, StoreLive, Tenancy } from "@leadgraph/adapters"
import { BudgetLedger, Tenant } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import { suite, tick } from "../../../core/test/engine/BudgetLedgerContract.js"
import { targets } from "./harness.js"

const T = Tenant.TenantId.make("owners-a")
const day: BudgetLedger.Day = { date: "2026-03-02", timeZone: "Asia/Singapore" }
const lease = { ttl: "2 minutes", renewEvery: "30 seconds" } as const

interface Row {
  readonly reserved: number
  readonly committed: number
  readonly in_flight_at_crash: number
}

const database = (caps: BudgetLedger.Caps) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tenancy = yield* Tenancy.Tenancy
    return {
      // the owner's scope is the caller's (a whole context would bring the test's own)
      open: (owner: BudgetLedger.OwnerOptions) =>
        BudgetLedgerLive.make({ tenantId: T, ...caps, ...owner }).pipe(
          Effect.provideService(Tenancy.Tenancy, tenancy),
          Effect.provideService(SqlClient.SqlClient, sql)
        ),
      peek: (budget: string, on: BudgetLedger.Day) =>
        Effect.map(
          tenancy.withTenant(
            T,
            sql<Row>`SELECT reserved, committed, in_flight_at_crash FROM budget_ledger
              WHERE tenant_id = ${T} AND budget = ${budget} AND day = ${on.date}::date`
          ),
          ([row]): BudgetLedger.Usage => ({
            budget,
            cap: BudgetLedger.capOf(caps, budget),
            reserved: row?.reserved ?? 0,
            committed: row?.committed ?? 0,
            ...((row?.in_flight_at_crash ?? 0) > 0 ? { inFlightAtCrash: row!.in_flight_at_crash } : {})
          })
        ),
      settlement: (id: string) =>
        Effect.map(
          tenancy.withTenant(
            T,
            sql<{ settled_as: BudgetLedger.Settlement | null }>`SELECT settled_as FROM budget_reservations WHERE id = ${id}::uuid`
          ),
          ([row]) => Option.fromNullable(row?.settled_as)
        )
    }
  })

for (const target of targets("ledger_owners")) {
  suite(target.label, StoreLive.layer().pipe(Layer.provideMerge(target.database)), database, { numRuns: 20 })
}

for (const target of targets("ledger_owner_rows")) {
  describe(`SQL ledger owners (${target.label})`, () => {
    it.layer(StoreLive.layer().pipe(Layer.provideMerge(target.database)), { timeout: "120 seconds" })((it) => {
      it.effect("the owner's row names its run, process and day; its lease moves with the Clock", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tenancy = yield* Tenancy.Tenancy
          const ledger = yield* BudgetLedgerLive.make({ tenantId: T, caps: { rows: 5 }, day, runId: "run-7", process: "test:42", lease })
          expect(yield* ledger.leaseUntil).toEqual(Option.none())
          const r = Option.getOrThrow(yield* ledger.tryReserve("rows", 2))
          const owner = () =>
            tenancy.withTenant(
              T,
              sql<{ run_id: string; process: string; day: string; lease_until: Date }>`
                SELECT run_id, process, to_char(day, 'YYYY-MM-DD') AS day, lease_until FROM budget_owners
                WHERE id = ${ledger.ownerId}::uuid`
            )
          const [row] = yield* owner()
          expect(row).toMatchObject({ run_id: "run-7", process: "test:42", day: "2026-03-02" })
          expect(row!.lease_until.getTime()).toBe(120_000)
          yield* tick(() => [ledger], "10 minutes")
          expect((yield* owner())[0]!.lease_until.getTime()).toBeGreaterThanOrEqual(600_000 + 30_000)
          yield* ledger.settle(r, 2)
          const [settled] = yield* tenancy.withTenant(
            T,
            sql<{ owner_id: string; settled_as: string; used: number; settled_at: Date }>`
              SELECT owner_id::text AS owner_id, settled_as, used, settled_at FROM budget_reservations WHERE id = ${r.id}::uuid`
          )
          expect(settled).toEqual({ owner_id: ledger.ownerId, settled_as: "committed", used: 2, settled_at: new Date(600_000) })
        }).pipe(Effect.scoped))

      it.effect("a reservation made before migration 7 is settled as spent once its old expiry passes, never released", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tenancy = yield* Tenancy.Tenancy
          // what the previous ledger left: counted in reserved, no owner, an expiry
          yield* tenancy.withTenant(
            T,
            sql`INSERT INTO budget_ledger (tenant_id, budget, day, cap, reserved) VALUES (${T}, 'legacy', ${day.date}::date, 10, 3)`.pipe(
              Effect.zipRight(sql`INSERT INTO budget_reservations (tenant_id, budget, day, units, reserved_until)
                VALUES (${T}, 'legacy', ${day.date}::date, 3, ${new Date(600_000)})`)
            )
          )
          const ledger = yield* BudgetLedgerLive.make({ tenantId: T, caps: { legacy: 10 }, day, lease })
          expect(yield* ledger.usage("legacy")).toEqual({ budget: "legacy", cap: 10, reserved: 3, committed: 0 })
          expect(yield* ledger.tryReserve("legacy", 8)).toEqual(Option.none())
          yield* tick(() => [ledger], "11 minutes")
          expect(yield* ledger.tryReserve("legacy", 8)).toEqual(Option.none())
          expect(yield* ledger.usage("legacy")).toEqual({
            budget: "legacy",
            cap: 10,
            reserved: 0,
            committed: 3,
            inFlightAtCrash: 1
          })
          const [row] = yield* tenancy.withTenant(
            T,
            sql<{ settled_as: string; reserved_until: Date | null }>`
              SELECT settled_as, reserved_until FROM budget_reservations WHERE budget = 'legacy' AND owner_id IS NULL`
          )
          expect(row).toEqual({ settled_as: "in_flight_at_crash", reserved_until: null })
        }).pipe(Effect.scoped))
    })
  })
}
