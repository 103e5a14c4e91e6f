/**
 * Row-level security, tested as the runtime role (never as a superuser or a
 * table owner, for whom RLS proves nothing): cross-tenant reads and writes
 * touch no row, a transaction bound to no tenant sees nothing, random
 * interleavings of two tenants' transactions over one pool never see the
 * other's rows, and the store refuses to start as a role that would bypass
 * RLS. The attacks from inside a tenant's transaction are in
 * Isolation.test.ts.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Database, Migrations, StoreLive, Tenancy } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import type { Company } from "@leadgraph/core"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, FastCheck as fc, Layer, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import * as Security from "../../src/store/migrations/0002_security.js"
import * as CompanyTargets from "../../src/store/migrations/0004_company_targets.js"
import * as ApiTokens from "../../src/store/migrations/0006_api_tokens.js"
import * as ReservationOwners from "../../src/store/migrations/0007_reservation_owners.js"
import * as PaidResults from "../../src/store/migrations/0008_paid_results.js"
import * as TenantSetup from "../../src/store/migrations/0013_tenant_setup.js"
import { targets } from "./harness.js"

const tenantTables = [
  ...Security.tenantTables,
  ...CompanyTargets.tenantTables,
  ...ApiTokens.tenantTables,
  ...ReservationOwners.tenantTables,
  ...PaidResults.tenantTables,
  ...TenantSetup.tenantTables
]

let written = 0
const A = Tenant.TenantId.make("rls-a")
const B = Tenant.TenantId.make("rls-b")

/** Tenant B owns a row in most tenant tables; tenant A in some. */
const seed = Effect.gen(function*() {
  const store = yield* Store.Store
  for (const id of [A, B]) {
    yield* store.withTenant(id, (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: id })
        yield* t.tenants.saveOdooConnection({
          active: true,
          url: "https://odoo.example",
          database: "db",
          login: "bot",
          secretRef: "env:KEY"
        })
        yield* t.companies.upsert([{
          name: `${id} Co`,
          domain: `${id}.example` as Company.Domain,
          website: null,
          industry: null,
          ssicCode: null,
          country: null,
          employeeRange: null,
          lastSeen: null
        }])
      }))
  }
})

/** A transaction of the runtime role bound to no tenant. */
const asAppRoleWithoutTenant = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect))

for (const target of targets("rls")) {
  describe(`row-level security (${target.label})`, () => {
    const layer = StoreLive.layer().pipe(Layer.provideMerge(target.database))
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("every table with a tenant_id is listed here, with row-level security enabled and forced", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ table: string; enabled: boolean; forced: boolean }>`
            SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
            ORDER BY c.relname`
          expect(rows.map((r) => r.table)).toEqual([...tenantTables].sort())
          for (const row of rows) expect(row).toEqual({ table: row.table, enabled: true, forced: true })
        }))

      it.effect("tenant work runs as the connected runtime role, neither superuser nor owner, with no role switch", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tenancy = yield* Tenancy.Tenancy
          const [me] = yield* tenancy.withTenant(
            A,
            sql<{ role: string; session: string; rolsuper: boolean; rolbypassrls: boolean; owned: number }>`
              SELECT current_user AS role, session_user AS session, r.rolsuper, r.rolbypassrls,
                (SELECT count(*) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
                  AND pg_has_role(current_user, c.relowner, 'USAGE'))::int AS owned
              FROM pg_roles r WHERE r.rolname = current_user`
          )
          expect(me).toEqual({
            role: "leadgraph_app",
            session: "leadgraph_app",
            rolsuper: false,
            rolbypassrls: false,
            owned: 0
          })
        }))

      it.effect("with tenant A set, tenant B's rows cannot be read, changed, deleted or added", () =>
        Effect.gen(function*() {
          yield* seed
          const sql = yield* SqlClient.SqlClient
          const tenancy = yield* Tenancy.Tenancy
          const asA = <X, E>(e: Effect.Effect<X, E, never>) => tenancy.withTenant(A, e)
          const bRows = yield* tenancy.withTenant(B, sql<{ n: number }>`SELECT count(*)::int AS n FROM companies`)
          expect(bRows[0]!.n).toBe(1)

          for (const table of ["tenants", ...tenantTables]) {
            const column = table === "tenants" ? "id" : "tenant_id"
            const seen = yield* asA(sql.unsafe<{ n: number }>(
              `SELECT count(*)::int AS n FROM ${table} WHERE ${column} <> $1`,
              [A]
            ))
            expect([table, seen[0]!.n]).toEqual([table, 0])
          }
          const updated = yield* asA(sql`UPDATE companies SET name = 'pwned' WHERE tenant_id = ${B} RETURNING id`)
          expect(updated).toHaveLength(0)
          const deleted = yield* asA(sql`DELETE FROM companies WHERE tenant_id = ${B} RETURNING id`)
          expect(deleted).toHaveLength(0)
          const deletedAll = yield* asA(sql`DELETE FROM odoo_connections WHERE tenant_id <> ${A} RETURNING tenant_id`)
          expect(deletedAll).toHaveLength(0)
          const inserted = yield* Effect.flip(
            asA(sql`INSERT INTO companies (tenant_id, name, domain) VALUES (${B}, 'Evil', 'evil.example')`)
          )
          expect(inserted).toMatchObject({ _tag: "StoreError", reason: "Forbidden" })
          const moved = yield* Effect.flip(
            asA(sql`UPDATE companies SET tenant_id = ${B} WHERE tenant_id = ${A}`)
          )
          expect(moved).toMatchObject({ _tag: "StoreError", reason: "Forbidden" })

          const [b] = yield* tenancy.withTenant(B, sql<{ name: string; n: number }>`
            SELECT min(name) AS name, count(*)::int AS n FROM companies`)
          expect(b).toEqual({ name: "rls-b Co", n: 1 })
        }))

      it.effect("with no tenant set, no row is visible and none can be written", () =>
        Effect.gen(function*() {
          yield* seed
          const sql = yield* SqlClient.SqlClient
          for (const table of ["tenants", ...tenantTables]) {
            const rows = yield* asAppRoleWithoutTenant(sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))
            expect([table, rows[0]!.n]).toEqual([table, 0])
          }
          const error = yield* Effect.flip(asAppRoleWithoutTenant(
            sql`INSERT INTO tenants (id, name) VALUES ('nobody', 'Nobody')`
          ))
          expect(error._tag).toBe("SqlError")
          // and the store's own registry scope reads tenants but writes nothing
          const store = yield* Store.Store
          const active = yield* store.listActiveTenants({ include: [A, B] })
          expect(active.map((t) => t.id)).toEqual([A, B])
        }))

      it.effect.prop(
        "random interleavings of two tenants' transactions never see the other's rows",
        [fc.array(fc.record({ tenant: fc.constantFrom(A, B), write: fc.boolean(), pause: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 2,
          maxLength: 16
        })],
        ([ops]) =>
          Effect.gen(function*() {
            yield* seed
            const sql = yield* SqlClient.SqlClient
            const tenancy = yield* Tenancy.Tenancy
            const seen = yield* Effect.forEach(ops, (op, i) =>
              tenancy.withTenant(
                op.tenant,
                Effect.gen(function*() {
                  if (op.write) {
                    yield* sql`INSERT INTO companies (tenant_id, name, domain)
                      VALUES (${op.tenant}, 'P', ${`p${++written}-${i}.example`})`
                  }
                  yield* sql`SELECT pg_sleep(${op.pause / 1000})`
                  const rows = yield* sql<{ tenant_id: string; setting: string }>`
                    SELECT tenant_id, current_setting('app.tenant_id', true) AS setting FROM companies`
                  return { expected: op.tenant, rows }
                })
              ), { concurrency: "unbounded" })
            for (const { expected, rows } of seen) {
              expect(rows.length).toBeGreaterThan(0)
              expect(rows.every((r) => r.tenant_id === expected && r.setting === expected)).toBe(true)
            }
            // pooled connections keep no tenant once a transaction ends
            const leftover = yield* Effect.forEach(ops, () =>
              asAppRoleWithoutTenant(sql<{ n: number }>`SELECT count(*)::int AS n FROM companies`), {
              concurrency: "unbounded"
            })
            expect(leftover.every((r) => r[0]!.n === 0)).toBe(true)
          }),
        { fastCheck: { numRuns: 12 } }
      )

      it.effect("refuses to start tenant work as the owner, beside a table without forced RLS, or a policy not bound to the tenant", () =>
        Effect.gen(function*() {
          const owner = yield* TestDatabases.Owner
          // as the owner (a superuser on PGlite)
          const asOwner = yield* owner.transaction((sql) =>
            Effect.flip(Tenancy.checkSafety(Migrations.defaultAppRole).pipe(Effect.provideService(SqlClient.SqlClient, sql)))
          )
          expect(asOwner).toMatchObject({ _tag: "StoreError", reason: "Unsafe" })
          expect(asOwner.detail).toMatch(/superuser|owns/)
          // a tenant table without forced RLS
          yield* owner.transaction((sql) =>
            Effect.zipRight(sql`CREATE TABLE rogue (tenant_id text NOT NULL)`, sql`GRANT SELECT ON rogue TO leadgraph_app`)
          )
          const rogue = yield* Effect.flip(Tenancy.make({ migrate: false }))
          yield* owner.transaction((sql) => sql`DROP TABLE rogue`)
          expect(rogue).toMatchObject({ reason: "Unsafe" })
          expect(rogue.detail).toMatch(/forced row-level security/)
          // a policy that opens a table on a setting instead of the binding
          yield* owner.transaction((sql) =>
            sql`CREATE POLICY sneaky ON companies USING (current_setting('app.scope', true) = 'registry')`
          )
          const sneaky = yield* Effect.flip(Tenancy.make({ migrate: false }))
          yield* owner.transaction((sql) => sql`DROP POLICY sneaky ON companies`)
          expect(sneaky).toMatchObject({ reason: "Unsafe" })
          expect(sneaky.detail).toMatch(/bound tenant/)
          // a role without the application role's privileges
          const other = yield* Effect.flip(Tenancy.make({ appRole: owner.role, migrate: false }))
          expect(other).toMatchObject({ reason: "Forbidden" })
          yield* Tenancy.make({ migrate: false })
        }))

      it.effect("migrations are recorded: running them again applies nothing", () =>
        Effect.gen(function*() {
          const again = yield* Effect.all([Migrations.run(), Migrations.run()], { concurrency: 2 })
          expect(again).toEqual([[], []])
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ migration_id: number }>`SELECT migration_id FROM leadgraph_migrations ORDER BY 1`
          const all = yield* Migrations.loader()
          // strictly ascending (15 is reserved for a migration on another branch)
          const ids = all.map(([id]) => id)
          expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b))
          expect(rows.map((r) => r.migration_id)).toEqual(all.map(([id]) => id))
          // what readiness reads, as the runtime role
          expect(yield* Migrations.status()).toEqual({ applied: ids.at(-1), newest: ids.at(-1) })
        }))
    })
  })
}

const url = process.env.DATABASE_URL
const ownerUrl = process.env.MIGRATION_DATABASE_URL
if (url !== undefined && url !== "" && ownerUrl !== undefined && ownerUrl !== "") {
  describe("migrations (postgres)", () => {
    it.live("two owners migrating at once on a fresh schema apply them exactly once; the runtime role cannot", () =>
      Effect.gen(function*() {
        const schema = `lg_mig_${randomUUID().slice(0, 8)}`
        // each start-up gets its own pool, as two processes would
        const pool = (at: string) => Database.layerUrl({ url: Redacted.make(at), schema, maxConnections: 2 })
        const migrate = Migrations.run().pipe(Effect.provide(pool(ownerUrl)))
        // the runtime role can neither create the schema nor migrate it
        const early = yield* Effect.flip(Migrations.run().pipe(Effect.provide(pool(url))))
        expect(early.reason).toMatch(/Forbidden|Query/)
        const results = yield* Effect.all([migrate, migrate], { concurrency: 2 })
        const all = yield* Migrations.loader()
        expect(results.map((r) => r.length).sort()).toEqual([0, all.length])
        // as the runtime role: nothing pending, and safe
        expect(yield* Migrations.run().pipe(Effect.provide(pool(url)))).toEqual([])
        yield* Tenancy.checkSafety(Migrations.defaultAppRole).pipe(Effect.provide(pool(url)))
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`DROP SCHEMA ${schema} CASCADE`)).pipe(
          Effect.provide(pool(ownerUrl))
        )
      }), 60_000)
  })
}
