/**
 * A tenant's Odoo connection on PGlite and Postgres: the contract suite
 * (the `createLeads` setting round-trips and defaults to true), and the
 * column's default for a connection written without it, as every
 * connection stored before migration 11 was.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { StoreLive, Tenancy } from "@leadgraph/adapters"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import { suite } from "../../../core/test/OdooConnectionContract.js"
import { targets } from "./harness.js"

for (const target of targets("odoo_connection")) {
  suite(target.label, StoreLive.layer().pipe(Layer.provide(target.database)))
}

const tenantId = Tenant.TenantId.make("odoo-legacy")

for (const target of targets("odoo_connection_default")) {
  describe(`odoo_connections.create_leads (${target.label})`, () => {
    const layer = StoreLive.layer().pipe(Layer.provideMerge(target.database))
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("a row written without create_leads reads as createLeads: true; a saved false is stored as false", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tenancy = yield* Tenancy.Tenancy
          const store = yield* Store.Store
          const t = store.forTenant(tenantId)
          yield* t.tenants.save({ name: "Legacy" })
          yield* tenancy.withTenant(
            tenantId,
            sql`INSERT INTO odoo_connections (tenant_id, active, url, database, login, secret_ref)
              VALUES (${tenantId}, true, 'https://odoo.example', 'db', 'bot', 'env:ODOO_KEY_LEGACY')`
          )
          expect(Option.map(yield* t.tenants.odooConnection, (c) => c.createLeads)).toEqual(Option.some(true))

          yield* t.tenants.saveOdooConnection({
            active: true,
            url: "https://odoo.example",
            database: "db",
            login: "bot",
            secretRef: "env:ODOO_KEY_LEGACY",
            createLeads: false
          })
          const stored = yield* tenancy.withTenant(
            tenantId,
            sql<{ create_leads: boolean }>`SELECT create_leads FROM odoo_connections WHERE tenant_id = ${tenantId}`
          )
          expect(stored).toEqual([{ create_leads: false }])
        }))
    })
  })
}
