/**
 * The contract of `Store.Companies.importMany`, run against every store
 * (memory here, PGlite and Postgres in the adapters' tests).
 */
import { describe, expect, it } from "@effect/vitest"
import type { Company, Store } from "@leadgraph/core"
import { Store as StoreTag, Tenant } from "@leadgraph/core"
import { Effect, type Layer } from "effect"

const row = (
  name: string,
  domain: string,
  fields: Partial<Company.CompanyInput> = {},
  attributes: Record<string, string> = {}
): Store.ImportRow => ({
  company: {
    name,
    domain: domain as Company.Domain,
    website: null,
    industry: null,
    ssicCode: null,
    country: null,
    employeeRange: null,
    lastSeen: null,
    ...fields
  },
  attributes
})

/**
 * Registers the import contract tests for one store.
 */
export const suite = <E>(label: string, layer: Layer.Layer<Store.Store, E>) =>
  describe(`Store import contract (${label})`, () => {
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("adds new companies, updates what changed, and counts the same rows again as unchanged", () =>
        Effect.gen(function*() {
          const store = yield* StoreTag.Store
          const t = store.forTenant(Tenant.TenantId.make("import-a"))
          yield* t.tenants.save({ name: "Import A" })
          const rows = [
            row("Acme", "acme.example", { country: "Germany", industry: "robotics" }, { owner: "jane" }),
            row("Beta", "beta.example")
          ]
          expect(yield* t.companies.importMany(rows)).toEqual({ added: 2, updated: 0, unchanged: 0 })
          expect(yield* t.companies.importMany(rows)).toEqual({ added: 0, updated: 0, unchanged: 2 })
          // a row that leaves a field empty keeps it; a new attribute is merged in
          const again = [row("Acme", "acme.example", { employeeRange: "51-200" }, { region: "south" }), row("Beta", "beta.example")]
          expect(yield* t.companies.importMany(again)).toEqual({ added: 0, updated: 1, unchanged: 1 })
          const [acme] = yield* t.companies.findByDomains(["acme.example" as Company.Domain])
          expect(acme).toMatchObject({ name: "Acme", country: "Germany", industry: "robotics", employeeRange: "51-200" })
          expect(yield* t.companies.importMany(again)).toEqual({ added: 0, updated: 0, unchanged: 2 })
          // an imported company is a target like any other
          const targets = yield* t.companies.selectTargets({ runDay: { date: "2026-03-02", timeZone: "UTC" }, cap: 10 })
          expect(targets.map((c) => c.name).sort()).toEqual(["Acme", "Beta"])
        }))

      it.effect("imports into its own tenant only", () =>
        Effect.gen(function*() {
          const store = yield* StoreTag.Store
          const a = store.forTenant(Tenant.TenantId.make("import-b"))
          const b = store.forTenant(Tenant.TenantId.make("import-c"))
          yield* a.tenants.save({ name: "Import B" })
          yield* b.tenants.save({ name: "Import C" })
          yield* a.companies.importMany([row("Acme", "acme.example")])
          expect(yield* b.companies.importMany([row("Acme", "acme.example")])).toEqual({ added: 1, updated: 0, unchanged: 0 })
          expect(yield* b.companies.findByDomains(["acme.example" as Company.Domain])).toHaveLength(1)
        }))
    })
  })
