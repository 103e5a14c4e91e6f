/**
 * The store's tenant run lock on PGlite and Postgres: the contract suite,
 * and, on Postgres, what only a real server shows: two stores over two
 * connection pools (as two processes would have) exclude each other, and a
 * holder whose connection dies frees the lock.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Database, StoreLive } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Store, Tenant } from "@leadgraph/core"
import { Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { suite } from "../../../core/test/RunLockContract.js"
import { targets } from "./harness.js"

for (const target of targets("run_lock")) {
  suite(target.label, StoreLive.layer().pipe(Layer.provide(target.database)))
}

const url = process.env.DATABASE_URL

/** Two stores over one schema, each with a pool of its own (two processes, as far as Postgres can tell). */
const twoProcesses = (databaseUrl: string) =>
  Effect.gen(function*() {
    // the schema is created, migrated and (at the end) dropped as the owner
    const base = yield* Layer.build(
      TestDatabases.scratchSchema("run_lock_x", databaseUrl, process.env.MIGRATION_DATABASE_URL)
    )
    const schema = Context.get(base, TestDatabases.Owner).schema!
    const a = yield* Layer.build(StoreLive.layer().pipe(Layer.provide(Layer.succeedContext(base))))
    const b = yield* Layer.build(
      StoreLive.layer().pipe(
        Layer.provideMerge(Database.layerUrl({ url: Redacted.make(databaseUrl), schema, maxConnections: 4 }))
      )
    )
    return { a: Context.get(a, Store.Store), b: Context.get(b, Store.Store), sqlB: Context.get(b, SqlClient.SqlClient) }
  })

if (url !== undefined && url !== "") {
  describe("Store run lock across processes (postgres)", () => {
    it.scoped("two pools on one database exclude each other", () =>
      Effect.gen(function*() {
        const { a, b } = yield* twoProcesses(url)
        const tenant = Tenant.TenantId.make("acme-industrial")
        const held = yield* Scope.make()
        expect(yield* Scope.extend(a.tryLockRun(tenant), held)).toBe(true)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(false)
        expect(yield* Effect.scoped(b.tryLockRun(Tenant.TenantId.make("globex-software")))).toBe(true)
        yield* Scope.close(held, Exit.void)
        const heldB = yield* Scope.make()
        expect(yield* Scope.extend(b.tryLockRun(tenant), heldB)).toBe(true)
        expect(yield* Effect.scoped(a.tryLockRun(tenant))).toBe(false)
        yield* Scope.close(heldB, Exit.void)
        expect(yield* Effect.scoped(a.tryLockRun(tenant))).toBe(true)
      }), 120_000)

    it.scoped("a holder whose connection dies frees the lock, and its store takes locks again", () =>
      Effect.gen(function*() {
        const { a, b, sqlB } = yield* twoProcesses(url)
        const tenant = Tenant.TenantId.make("initech")
        const held = yield* Scope.make()
        expect(yield* Scope.extend(a.tryLockRun(tenant), held)).toBe(true)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(false)
        // the holder's session ends, as when its process is killed (waiting until it has)
        const killed = yield* sqlB<{ killed: boolean }>`
          SELECT pg_terminate_backend(l.pid, 30000) AS killed
          FROM pg_locks l,
            (SELECT hashtextextended(concat_ws(':', 'leadgraph.run', current_schema(), ${tenant}::text), 0) AS k) key
          WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
            AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295`
        expect(killed.map((r) => r.killed)).toEqual([true])
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(true)
        // releasing on the dead connection is no error; the store then uses a new one
        yield* Scope.close(held, Exit.void)
        const again = yield* Scope.make()
        expect(yield* Scope.extend(a.tryLockRun(tenant), again)).toBe(true)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(false)
        yield* Scope.close(again, Exit.void)
      }), 120_000)
  })
}
