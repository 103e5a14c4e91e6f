/**
 * What one SQL statement and one tenant transaction cost the main thread,
 * for the pipeline benchmark's CPU budget: `n` checkpoint saves (each a
 * tenant transaction: BEGIN, tenant settings, INSERT, COMMIT), `n` bare
 * statements (`SELECT 1`), and `n` empty tenant transactions, `concurrency`
 * at a time, each reported in main-thread CPU microseconds per operation
 * (from /proc/self/task/<pid>/stat, so 10 ms resolution: use n >= 5000).
 *
 * `npx tsx --tsconfig bench/tsconfig.json bench/pipeline/sqlcost.ts [--db pglite|postgres] [--n 5000] [--concurrency 50]`
 * Arguments `set:NAME=VALUE` run `SET NAME=VALUE` first (a session setting;
 * PGlite has one session for all connections).
 * (postgres needs DATABASE_URL, and MIGRATION_DATABASE_URL where the store
 * migrates as another role; run `npm run build` or the pipeline bench first, as it imports the packages' builds).
 */
import { SqlClient } from "@effect/sql"
import { Database, CheckpointLive, StoreLive, Tenancy } from "@leadgraph/adapters"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer, Redacted } from "effect"
import { arg, argv } from "./args.js"
import { runAs } from "./SqlCounters.js"
import { readThread } from "./Threads.js"

const db = arg("db") ?? "pglite"
const n = Number(arg("n") ?? 5000)
const concurrency = Number(arg("concurrency") ?? 50)
const schema = `lg_bench_sqlcost_${Date.now().toString(36)}`
const migrationUrl = process.env.MIGRATION_DATABASE_URL
const owner = migrationUrl === undefined ? {} : { migrationUrl: Redacted.make(migrationUrl) }
const database = db === "postgres"
  ? Database.layerUrl({ url: Redacted.make(process.env.DATABASE_URL ?? ""), schema, ...owner })
  : Database.layerEmbedded({ dataDir: "memory://" })
const tenantId = Tenant.TenantId.make("sqlcost-tenant")

const mainMillis = () => readThread(process.pid)?.millis ?? 0
const measure = <A, E, R>(label: string, op: (i: number) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    // warm up (JIT, connections), then measure
    yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), op, { concurrency, discard: true })
    const cpu0 = mainMillis()
    const t0 = performance.now()
    yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), op, { concurrency, discard: true })
    const cpu = mainMillis() - cpu0
    console.log(`${label.padEnd(44)} ${((cpu * 1000) / n).toFixed(0).padStart(6)} us CPU per op (${((performance.now() - t0) / n * 1000).toFixed(0)} us wall)`)
  })

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tenancy = yield* Tenancy.Tenancy
  const checkpoints = yield* CheckpointLive.make(tenantId)
  const store = yield* Store.Store
  yield* store.withTenant(tenantId, (t) => t.tenants.save({ name: "SQL cost" }))
  const value = { contacts: Array.from({ length: 5 }, (_, i) => ({ email: `p${i}@example.test`, name: `Person ${i}`, title: "CTO" })) }
  for (const setting of argv.filter((a) => a.startsWith("set:"))) yield* sql.unsafe(`SET ${setting.slice(4)}`)
  console.log(`${db}: ${n} operations, ${concurrency} at a time, main thread only`)
  yield* measure("SELECT 1 (no transaction)", () => sql`SELECT 1`)
  yield* measure("empty tenant transaction (BEGIN, bind tenant, COMMIT)", () => tenancy.withTenant(tenantId, Effect.void))
  yield* measure("checkpoint save (a tenant transaction)", (i) =>
    checkpoints.save({ runId: "run-1", targetId: `t-${i % 2000}`, step: "contacts" } as never, value))
})
const dropSchema = Effect.gen(function*() {
  if (db !== "postgres") return
  const drop = `DROP SCHEMA ${schema} CASCADE`
  if (migrationUrl === undefined) yield* (yield* SqlClient.SqlClient).unsafe(drop)
  else yield* Effect.promise(() => runAs(migrationUrl, drop))
}).pipe(Effect.orDie)

Effect.runPromise(
  program.pipe(
    Effect.ensuring(dropSchema),
    Effect.provide(Layer.mergeAll(Tenancy.layer(), StoreLive.layer()).pipe(Layer.provideMerge(database)))
  )
).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
