/**
 * The embedded database keeps its data in its directory: a second start on
 * the same directory finds the migrations applied and the rows written.
 */
import { describe, expect, it } from "@effect/vitest"
import { Database, StoreLive } from "@leadgraph/adapters"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const tenantId = Tenant.TenantId.make("persisted")

describe("Database.layerEmbedded", () => {
  it.live("keeps data in its data directory across restarts", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "leadgraph-pg-"))
      const dataDir = join(root, "pgdata")
      const open = <A, E>(effect: Effect.Effect<A, E, Store.Store>) =>
        effect.pipe(Effect.provide(StoreLive.layer().pipe(Layer.provide(Database.layerEmbedded({ dataDir })))))
      yield* open(Effect.flatMap(Store.Store, (store) =>
        Effect.zipRight(
          store.forTenant(tenantId).tenants.save({ name: "Persisted" }),
          store.forTenant(tenantId).tenants.saveOdooConnection({
            active: true,
            url: "https://odoo.example",
            database: "db",
            login: "bot",
            secretRef: "env:KEY"
          })
        )))
      const tenants = yield* open(Effect.flatMap(Store.Store, (store) => store.listActiveTenants()))
      rmSync(root, { recursive: true, force: true })
      expect(tenants).toEqual([{ id: "persisted", name: "Persisted", dailyCap: null, timeZone: null, disabled: false }])
    }), 120_000)
})
