/**
 * The SQL paid results store: core's contract on PGlite (and on Postgres
 * when `DATABASE_URL` is set), and its tenant isolation: `paid_results` is
 * under forced row-level security, a tenant never reads another's entries
 * (the same kind and key are two entries), and tenant work bound to no
 * tenant sees none.
 */
import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { PaidResultsLive, StoreLive, Tenancy } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import { suite } from "../../../core/test/PaidResultsContract.js"
import { database, tenantId } from "./paidStores.js"

const targets = TestDatabases.targets("paid_results", process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL)

for (const target of targets) {
  suite(target.label, PaidResultsLive.layer({ tenantId }).pipe(Layer.provide(database(target))))
}

const A = Tenant.TenantId.make("paid-a")
const B = Tenant.TenantId.make("paid-b")

for (const target of targets) {
  layer(StoreLive.layer().pipe(Layer.provideMerge(target.database())), { timeout: "120 seconds" })(
    `paid results under row-level security (${target.label})`,
    (it) => {
      it.effect("paid_results has row-level security enabled and forced", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ enabled: boolean; forced: boolean }>`
            SELECT relrowsecurity AS enabled, relforcerowsecurity AS forced FROM pg_class
            WHERE relname = 'paid_results' AND relnamespace = current_schema()::regnamespace`
          expect(rows).toEqual([{ enabled: true, forced: true }])
        }))

      it.effect("a tenant reads none of another tenant's entries, and work bound to no tenant sees none", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          yield* Effect.forEach([A, B], (id) => store.forTenant(id).tenants.save({ name: id }), { discard: true })
          const a = yield* PaidResultsLive.make({ tenantId: A })
          const b = yield* PaidResultsLive.make({ tenantId: B })
          yield* a.putMany("lusha.enrich/v1", [["same-key", { from: "a" }]], "1 hour")
          expect((yield* b.getMany("lusha.enrich/v1", ["same-key"])).size).toBe(0)
          yield* b.putMany("lusha.enrich/v1", [["same-key", { from: "b" }]], "1 hour")
          expect(yield* a.getMany("lusha.enrich/v1", ["same-key"])).toEqual(new Map([["same-key", { from: "a" }]]))
          expect(yield* b.getMany("lusha.enrich/v1", ["same-key"])).toEqual(new Map([["same-key", { from: "b" }]]))
          const sql = yield* SqlClient.SqlClient
          const unbound = yield* sql.withTransaction(sql<{ n: number }>`SELECT count(*)::int AS n FROM paid_results`)
          expect(unbound).toEqual([{ n: 0 }])
          // nor can a tenant write an entry in another's name
          const tenancy = yield* Tenancy.Tenancy
          const forged = yield* Effect.exit(tenancy.withTenant(
            A,
            sql`INSERT INTO paid_results (tenant_id, kind, key, value, stored_at, expires_at)
              VALUES (${B}, 'lusha.enrich/v1', 'forged', '{}'::jsonb, now(), now() + interval '1 hour')`
          ))
          expect(forged._tag).toBe("Failure")
          expect(yield* b.getMany("lusha.enrich/v1", ["forged"])).toEqual(new Map())
        }))

      it.effect("a tenant that is not registered cannot store entries: the write fails as Unavailable", () =>
        Effect.gen(function*() {
          const ghost = yield* PaidResultsLive.make({ tenantId: Tenant.TenantId.make("paid-ghost") })
          expect(yield* Effect.flip(ghost.putMany("k", [["x", 1]], "1 hour"))).toMatchObject({
            _tag: "PaidResultsError",
            operation: "put"
          })
        }))
    }
  )
}
