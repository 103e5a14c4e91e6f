/**
 * The embedded database keeps its data in its directory: a second start on
 * the same directory finds the migrations applied and the rows written. A
 * database started from `dumpMigrated`'s dump has every migration and no
 * rows, and each start from it is a database of its own; a directory that
 * already holds a database refuses a dump.
 */
import { describe, expect, it } from "@effect/vitest"
import { Database, Migrations, StoreLive } from "@leadgraph/adapters"
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

  it.live("starts from a migrated dump: every migration in it, nothing shared between two starts", () =>
    Effect.gen(function*() {
      const dump = yield* Database.dumpMigrated()
      // as the owner nothing is applied on open: what is applied came with the dump
      const status = yield* Migrations.status().pipe(
        Effect.provide(Database.layerEmbedded({ dataDir: "memory://", loadDataDir: dump, owner: true }))
      )
      expect(status.applied).toBeGreaterThan(0)
      expect(status.applied).toBe(status.newest)

      const fromDump = <A, E>(effect: Effect.Effect<A, E, Store.Store>) =>
        effect.pipe(Effect.provide(StoreLive.layer().pipe(
          Layer.provide(Database.layerEmbedded({ dataDir: "memory://", loadDataDir: dump }))
        )))
      const first = yield* fromDump(Effect.flatMap(Store.Store, (store) =>
        Effect.zipRight(
          store.forTenant(tenantId).tenants.save({ name: "Only in the first" }),
          store.listActiveTenants()
        )))
      const second = yield* fromDump(Effect.flatMap(Store.Store, (store) => store.listActiveTenants()))
      expect(first.map((t) => t.name)).toEqual(["Only in the first"])
      expect(second).toEqual([])

      const root = mkdtempSync(join(tmpdir(), "leadgraph-pg-"))
      const dataDir = join(root, "pgdata")
      yield* Effect.scoped(Layer.build(Database.layerEmbedded({ dataDir })))
      const refused = yield* Effect.flip(Effect.scoped(Layer.build(Database.layerEmbedded({ dataDir, loadDataDir: dump }))))
      rmSync(root, { recursive: true, force: true })
      expect(refused.reason).toBe("Unavailable")
    }), 120_000)
})
