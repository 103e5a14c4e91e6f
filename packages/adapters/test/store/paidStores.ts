/**
 * Where the vendor adapters keep what they paid for, for tests that kill a
 * "process" and resume in another: in memory, and one tenant's SQL stores on
 * PGlite (always) and Postgres (when `DATABASE_URL` is set). Each call of
 * `layer()` is a fresh database; two processes share one by building the
 * layer once and providing it to both.
 */
import type { SqlClient } from "@effect/sql"
import { PaidResultsLive, StoreLive, VerificationCacheLive } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import type { Tenancy } from "@leadgraph/adapters"
import { PaidResults, Store, Tenant, VerificationCache } from "@leadgraph/core"
import { Effect, Layer } from "effect"

/** The tenant the SQL stores belong to. */
export const tenantId = Tenant.TenantId.make("paid-tenant")

/** The stores a resume must find again. */
export type Stores = PaidResults.PaidResults | VerificationCache.VerificationCache

export interface StoreTarget {
  readonly label: "memory" | "pglite" | "postgres"
  readonly layer: () => Layer.Layer<Stores, Store.StoreError>
}

// A new layer each time: a layer value is built once per memo map (it.layer shares one per file).
const seedTenant = () =>
  Layer.effectDiscard(Effect.flatMap(Store.Store, (store) => store.forTenant(tenantId).tenants.save({ name: "Paid Tenant" })))

/** A database with the store migrated and the tenant registered, plus its tenancy. */
export const database = (
  target: TestDatabases.Target
): Layer.Layer<Store.Store | Tenancy.Tenancy | SqlClient.SqlClient, Store.StoreError> =>
  Layer.provideMerge(seedTenant(), StoreLive.layer().pipe(Layer.provideMerge(target.database())))

/** The tenant's paid results and verification cache over a database from {@link database} (a new layer each call). */
export const sqlStores = (): Layer.Layer<Stores, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.merge(PaidResultsLive.layer({ tenantId }), VerificationCacheLive.layer({ tenantId }))

/** Memory always; PGlite always; Postgres when `DATABASE_URL` is set. */
export const storeTargets = (suite: string): ReadonlyArray<StoreTarget> => [
  { label: "memory", layer: () => Layer.merge(PaidResults.layerMemory, VerificationCache.layerMemory()) },
  ...TestDatabases.targets(suite, process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL).map((target): StoreTarget => ({
    label: target.label,
    layer: () => sqlStores().pipe(Layer.provide(database(target)))
  }))
]
