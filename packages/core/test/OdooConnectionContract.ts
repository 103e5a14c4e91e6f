/**
 * The contract of a tenant's Odoo connection in the store
 * (`Store.Tenants.saveOdooConnection` / `odooConnection`), run against every
 * implementation (memory here; PGlite and Postgres in the adapters' tests):
 * the connection round-trips, and its `createLeads` setting starts `true`,
 * keeps `false` once saved, and is kept by a save that leaves it out.
 */
import { describe, expect, it } from "@effect/vitest"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"

const connection = (id: string) => ({
  active: true,
  url: "https://odoo.example",
  database: "db",
  login: "bot",
  secretRef: `env:ODOO_KEY_${id.toUpperCase().replace(/-/g, "_")}`
})

/**
 * Registers the Odoo connection tests for one implementation.
 */
export const suite = <E>(label: string, layer: Layer.Layer<Store.Store, E>) =>
  describe(`Store Odoo connection contract (${label})`, () => {
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("createLeads: true by default, false once saved so, kept by a save that leaves it out", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = store.forTenant(Tenant.TenantId.make("odoo-leads"))
          yield* t.tenants.save({ name: "Leads" })
          expect(yield* t.tenants.odooConnection).toEqual(Option.none())

          yield* t.tenants.saveOdooConnection(connection("odoo-leads"))
          expect(yield* t.tenants.odooConnection).toEqual(Option.some({ ...connection("odoo-leads"), createLeads: true }))

          yield* t.tenants.saveOdooConnection({ ...connection("odoo-leads"), createLeads: false })
          expect(yield* t.tenants.odooConnection).toEqual(Option.some({ ...connection("odoo-leads"), createLeads: false }))

          // a save without the setting (a re-seed, a changed URL) keeps it
          yield* t.tenants.saveOdooConnection({ ...connection("odoo-leads"), url: "https://crm.example" })
          expect(yield* t.tenants.odooConnection).toEqual(
            Option.some({ ...connection("odoo-leads"), url: "https://crm.example", createLeads: false })
          )

          yield* t.tenants.saveOdooConnection({ ...connection("odoo-leads"), createLeads: true })
          expect(Option.map(yield* t.tenants.odooConnection, (c) => c.createLeads)).toEqual(Option.some(true))
        }))

      it.effect("a new connection saved with createLeads false starts with it; other tenants keep their own", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const a = store.forTenant(Tenant.TenantId.make("odoo-leads-a"))
          const b = store.forTenant(Tenant.TenantId.make("odoo-leads-b"))
          yield* a.tenants.save({ name: "A" })
          yield* b.tenants.save({ name: "B" })
          yield* a.tenants.saveOdooConnection({ ...connection("odoo-leads-a"), createLeads: false })
          yield* b.tenants.saveOdooConnection(connection("odoo-leads-b"))
          const setting = (t: Store.TenantStore) => Effect.map(t.tenants.odooConnection, Option.map((c) => c.createLeads))
          expect(yield* setting(a)).toEqual(Option.some(false))
          expect(yield* setting(b)).toEqual(Option.some(true))
          // the setting does not decide whether the tenant takes part in nightly runs
          const active = yield* store.listActiveTenants({
            include: [Tenant.TenantId.make("odoo-leads-a"), Tenant.TenantId.make("odoo-leads-b")]
          })
          expect(active.map((x) => x.id)).toEqual(["odoo-leads-a", "odoo-leads-b"])
        }))
    })
  })
