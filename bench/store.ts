/**
 * Store benchmark (`npm run bench -- store [--rows N] [--sample N] [--db pglite|postgres]`): on
 * PGlite, and on Postgres when `DATABASE_URL` is set (in a scratch schema
 * created and dropped as the owner, `MIGRATION_DATABASE_URL`, and used as
 * the runtime role, `DATABASE_URL`):
 *
 * - 100,000 contacts and 100,000 scores for one tenant: rows per second
 *   batched (the store's multi-row upserts) and row at a time (one statement
 *   per row, measured on a sample). Goal on Postgres: batched at least 20x.
 * - `selectTargets` over 100,000 companies: p50 latency.
 * - streaming export of 100,000 scores (through a cursor on Postgres, keyset
 *   pages on PGlite): peak RSS growth. Goal: under 50 MB.
 */
import { StoreLive } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import type { Company, Contact, Score } from "@leadgraph/core"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer, Stream } from "effect"

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const rows = arg("rows", 100_000)
const sample = Math.min(rows, arg("sample", 3_000))
const tenantId = Tenant.TenantId.make("bench")
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const now = () => performance.now()
const fmt = (n: number) => Math.round(n).toLocaleString("en-US")

const companies = Array.from({ length: rows }, (_, i): Company.CompanyInput => ({
  name: `Company ${i}`,
  domain: `c${i}.example` as Company.Domain,
  website: `https://c${i}.example`,
  industry: i % 2 === 0 ? "software" : "retail",
  ssicCode: null,
  country: "SG",
  employeeRange: "11-50",
  lastSeen: new Date(Date.UTC(2026, 0, 1) + i * 1000)
}))

const bench = (label: string) =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    const t = store.forTenant(tenantId)
    yield* t.tenants.save({ name: "Bench" })
    console.log(`\n== ${label}: ${fmt(rows)} rows`)

    let start = now()
    yield* t.companies.upsert(companies)
    console.log(`companies batched:          ${fmt(rows / ((now() - start) / 1000))} rows/s`)
    const ids = new Map<string, Company.CompanyId>()
    for (let i = 0; i < rows; i += 5000) {
      const found = yield* t.companies.findByDomains(companies.slice(i, i + 5000).map((c) => c.domain))
      for (const c of found) ids.set(c.domain, c.id)
    }
    const idOf = (i: number) => ids.get(`c${i}.example`)!
    const owner = yield* TestDatabases.Owner
    // What autovacuum does on a server after a bulk load (PGlite has none).
    // Only the tables' owner may: ANALYZE runs in the owner's transaction
    // (VACUUM cannot run inside one, and its statistics are what matters).
    const vacuum = owner.transaction((sql) =>
      Effect.forEach(["companies", "company_targets", "contacts", "lead_scores"], (t) => sql.unsafe(`ANALYZE ${t}`))
    )

    const contact = (i: number): Contact.ContactInput => ({
      companyId: idOf(i),
      email: `ceo${i}@c${i}.example` as Contact.Email,
      fullName: `CEO ${i}`,
      title: "CEO",
      phone: null,
      linkedinUrl: null,
      source: "bench"
    })
    const score = (i: number): Score.LeadScore => ({
      companyId: idOf(i),
      score: ((i * 37) % 101) as Score.ScoreValue,
      bucket: "medium",
      rationale: null,
      runId: "bench",
      scoredAt: new Date(Date.UTC(2026, 2, 1))
    })
    // both modes write fresh rows of the same kind: row at a time the first
    // `sample` companies, batched all the others
    const some = Array.from({ length: sample }, (_, i) => i)
    const rest = Array.from({ length: rows - sample }, (_, i) => sample + i)

    const compare = (
      name: string,
      write: (batch: ReadonlyArray<number>) => Effect.Effect<unknown, Store.StoreError>
    ) =>
      Effect.gen(function*() {
        // row at a time: one statement per row, in one transaction
        let t0 = now()
        yield* store.withTenant(tenantId, () => Effect.forEach(some, (i) => write([i]), { discard: true }))
        const single = sample / ((now() - t0) / 1000)
        t0 = now()
        yield* write(rest)
        const batched = rest.length / ((now() - t0) / 1000)
        console.log(
          `${name} batched: ${fmt(batched).padStart(7)} rows/s (${fmt(rest.length)} rows)   ` +
            `row at a time: ${fmt(single).padStart(6)} rows/s (${fmt(sample)} rows)   ratio ${(batched / single).toFixed(1)}x`
        )
      })
    yield* compare("contacts", (batch) => t.leads.upsertContacts(batch.map((i) => contact(i))))
    yield* compare("scores  ", (batch) => t.leads.upsertScores(batch.map((i) => score(i))))
    yield* vacuum

    const latencies: Array<number> = []
    for (let i = 0; i < 30; i++) {
      start = now()
      yield* t.companies.selectTargets({ cap: 500, runDay: { date: "2026-03-02", timeZone: "Asia/Singapore" } })
      latencies.push(now() - start)
    }
    latencies.sort((a, b) => a - b)
    console.log(
      `selectTargets (cap 500):    p50 ${latencies[15]!.toFixed(1)} ms, p95 ${latencies[28]!.toFixed(1)} ms (30 runs)`
    )

    gc()
    const base = process.memoryUsage().rss
    const baseHeap = process.memoryUsage().heapUsed
    let peak = base
    start = now()
    const exported = yield* t.exportScores(0).pipe(
      Stream.tap(() =>
        Effect.sync(() => {
          const rss = process.memoryUsage().rss
          if (rss > peak) peak = rss
        })
      ),
      Stream.runCount
    )
    const seconds = (now() - start) / 1000
    gc()
    const retained = process.memoryUsage().heapUsed - baseHeap
    console.log(
      `export of ${fmt(exported)} scores: ${fmt(exported / seconds)} rows/s, ` +
        `peak RSS growth ${((peak - base) / 1024 / 1024).toFixed(1)} MB (goal < 50 MB), ` +
        `heap retained after ${((retained) / 1024 / 1024).toFixed(1)} MB`
    )
  })

type Db = Layer.Layer<TestDatabases.Provides, Store.StoreError>

const run = (label: string, database: Db) => bench(label).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provideMerge(database))))

const main = Effect.gen(function*() {
  console.log(`store benchmark: ${fmt(rows)} rows per table, node ${process.version}`)
  const only = process.argv.includes("--db") ? process.argv[process.argv.indexOf("--db") + 1] : undefined
  if (only !== "postgres") yield* run("PGlite (in memory)", TestDatabases.pglite())
  const url = process.env.DATABASE_URL
  if (url && only !== "pglite") {
    yield* run("Postgres", TestDatabases.scratchSchema("bench_store", url, process.env.MIGRATION_DATABASE_URL))
  } else {
    console.log("\n(DATABASE_URL unset: Postgres skipped)")
  }
})

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
