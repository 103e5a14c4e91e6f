/**
 * The store's tenant run lock on PGlite and Postgres: the contract suite,
 * and, on Postgres, what only a real server shows: two stores over two
 * connection pools (as two processes would have) exclude each other, a
 * holder whose connection dies frees the lock, and a live holder whose
 * connection drops takes its lock again on a new one (after Postgres comes
 * back, if it was down), or, when another process took it meanwhile,
 * reports it lost.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Database, StoreLive } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Store, Tenant } from "@leadgraph/core"
import { Context, Effect, Exit, Fiber, Layer, Logger, Redacted, Schedule, Scope, TestClock, TestServices } from "effect"
import { suite } from "../../../core/test/RunLockContract.js"
import { targets } from "./harness.js"
import { startPgProxy } from "./pgProxy.js"

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
    return {
      a: Context.get(a, Store.Store),
      b: Context.get(b, Store.Store),
      sqlB: Context.get(b, SqlClient.SqlClient),
      schema
    }
  })

/** The advisory lock of a tenant as `pg_locks` sees it from `sql`'s side. */
const lockRow = (sql: SqlClient.SqlClient, tenant: Tenant.TenantId) =>
  sql<{ pid: number }>`
      SELECT l.pid FROM pg_locks l,
        (SELECT hashtextextended(concat_ws(':', 'leadgraph.run', current_schema(), ${tenant}::text), 0) AS k) key
      WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
        AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295`

/** Ends the session holding the tenant's lock, as a Postgres restart or a proxy cut would (waiting until it has). */
const killHolder = (sql: SqlClient.SqlClient, tenant: Tenant.TenantId) =>
  Effect.gen(function*() {
    const [holder] = yield* lockRow(sql, tenant)
    expect(holder).toBeDefined()
    const killed = yield* sql<{ killed: boolean }>`SELECT pg_terminate_backend(${holder!.pid}, 30000) AS killed`
    expect(killed.map((r) => r.killed)).toEqual([true])
    return holder!.pid
  })

/** Waits (on the real clock, the keeper's I/O is real) until a session other than `pid` holds the tenant's lock. */
const heldAgain = (sql: SqlClient.SqlClient, tenant: Tenant.TenantId, pid: number) =>
  lockRow(sql, tenant).pipe(
    Effect.map((rows) => rows.map((r) => r.pid)),
    Effect.filterOrFail((pids) => pids.length > 0 && !pids.includes(pid), () => "not held again yet"),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeout("20 seconds"),
    TestServices.provideLive
  )

/** A proxy to `target`'s Postgres (see pgProxy.ts), closed with the scope. */
const proxy = (target: string) =>
  Effect.acquireRelease(Effect.promise(() => startPgProxy(target)), (p) => Effect.promise(p.close))

/** The messages of the errors logged, as `capture` saw them. */
const errors: Array<string> = []
const warnings: Array<string> = []
const capture = Logger.make(({ logLevel, message }) => {
  const text = String(Array.isArray(message) ? message.join(" ") : message)
  if (logLevel._tag === "Error") errors.push(text)
  if (logLevel._tag === "Warning") warnings.push(text)
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
        yield* killHolder(sqlB, tenant)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(true)
        // releasing on the dead connection is no error; the store then uses a new one
        yield* Scope.close(held, Exit.void)
        const again = yield* Scope.make()
        expect(yield* Scope.extend(a.tryLockRun(tenant), again)).toBe(true)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(false)
        yield* Scope.close(again, Exit.void)
      }), 120_000)

    it.scoped("a holder whose connection drops takes its lock again on a new one, and releases it there", () =>
      Effect.gen(function*() {
        const { a, b, sqlB } = yield* twoProcesses(url)
        const tenant = Tenant.TenantId.make("umbrella-corp")
        const held = yield* Scope.make()
        expect(yield* Scope.extend(a.tryLockRun(tenant), held)).toBe(true)
        const pid = yield* killHolder(sqlB, tenant)
        // the keeper checks the connection every 5 seconds
        yield* TestClock.adjust("5 seconds")
        expect(yield* heldAgain(sqlB, tenant, pid)).toHaveLength(1)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(false)
        yield* Scope.close(held, Exit.void)
        expect(yield* lockRow(sqlB, tenant)).toEqual([])
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(true)
        expect(yield* Effect.scoped(a.tryLockRun(tenant))).toBe(true)
      }), 120_000)

    it.scoped("a holder whose lock another process took while its connection was down logs it and signals it", () =>
      Effect.gen(function*() {
        const { a, b, sqlB } = yield* twoProcesses(url)
        const tenant = Tenant.TenantId.make("hooli")
        const held = yield* Scope.make()
        expect(yield* Scope.extend(a.tryLockRun(tenant), held)).toBe(true)
        const lost = yield* Effect.fork(a.runLockLost(tenant))
        yield* killHolder(sqlB, tenant)
        const heldB = yield* Scope.make()
        expect(yield* Scope.extend(b.tryLockRun(tenant), heldB)).toBe(true)
        yield* TestClock.adjust("5 seconds")
        yield* Fiber.join(lost).pipe(Effect.timeout("20 seconds"), TestServices.provideLive)
        expect(errors.filter((e) => e.includes(`"${tenant}"`) && e.includes("lost"))).toHaveLength(1)
        // the loser's release frees nothing of the new holder's
        yield* Scope.close(held, Exit.void)
        expect(yield* Effect.scoped(a.tryLockRun(tenant))).toBe(false)
        yield* Scope.close(heldB, Exit.void)
        expect(yield* Effect.scoped(a.tryLockRun(tenant))).toBe(true)
      }).pipe(Effect.provide(Logger.add(capture))), 120_000)

    it.scoped("while Postgres is down the holder keeps trying, warns once, and takes its lock again when it is back", () =>
      Effect.gen(function*() {
        const { b, schema, sqlB } = yield* twoProcesses(url)
        const pg = yield* proxy(url)
        const c = Context.get(
          yield* Layer.build(StoreLive.layer().pipe(
            Layer.provideMerge(Database.layerUrl({ url: Redacted.make(pg.via(url)), schema, maxConnections: 4 }))
          )),
          Store.Store
        )
        const tenant = Tenant.TenantId.make("pied-piper")
        const held = yield* Scope.make()
        expect(yield* Scope.extend(c.tryLockRun(tenant), held)).toBe(true)
        const [holder] = yield* lockRow(sqlB, tenant)
        const before = warnings.length
        // Postgres goes away for the holder: its connection drops, new ones are refused
        pg.down()
        yield* TestClock.adjust("5 seconds")
        // tries every 100 ms, doubling up to 3 s: some of them while it is down
        for (let i = 0; i < 6; i++) {
          yield* TestClock.adjust("3 seconds")
          yield* TestServices.provideLive(Effect.sleep("20 millis"))
        }
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(true)
        pg.up()
        yield* Effect.gen(function*() {
          yield* TestClock.adjust("3 seconds")
          return yield* heldAgain(sqlB, tenant, holder!.pid).pipe(Effect.timeout("200 millis"))
        }).pipe(Effect.retry({ times: 50 }))
        expect(warnings.slice(before).filter((w) => w.includes("gone"))).toHaveLength(1)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(false)
        yield* Scope.close(held, Exit.void)
        expect(yield* Effect.scoped(b.tryLockRun(tenant))).toBe(true)
      }).pipe(Effect.provide(Logger.add(capture))), 120_000)
  })
}
