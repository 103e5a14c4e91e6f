/**
 * Company import benchmark (`npm run bench -- import [--rows N] [--db pglite|postgres]`):
 * a CSV of N companies (default 100,000; a tenth of them with a second,
 * differently spelled row, and every 500th row unusable) written to a
 * temporary file, imported with `CompanyFile.rows` and `CompanyImport.run`
 * into one tenant, then imported again. Reports rows per second and the
 * peak growth of the process's RSS and heap over a baseline taken after
 * the file was written, sampled every 50 ms, and the heap retained after a
 * full GC; the same import of a file a tenth as long runs first, as the
 * baseline of the same run: constant memory means the peaks do not grow
 * with the file. (On PGlite the database itself lives in the process, so
 * its RSS grows with the rows stored; Postgres shows the import's own.)
 */
import { CompanyFile, StoreLive } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { CompanyImport, Store, Tenant } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import { createWriteStream, mkdtempSync, rmSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const rows = Number(arg("rows", "100000"))
const only = arg("db", "")
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const fmt = (n: number) => Math.round(n).toLocaleString("en-US")
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const dir = mkdtempSync(join(tmpdir(), "lg-bench-import-"))

/** Writes a CSV of `n` companies, streamed (the bench's own memory stays flat too). */
const writeCsv = (n: number, name: string) =>
  Effect.promise(() =>
    new Promise<string>((resolve, reject) => {
      const path = join(dir, name)
      const out = createWriteStream(path)
      out.on("error", reject)
      out.write("name,website,country,size,industry,owner,notes\n")
      let i = 0
      const more = () => {
        let ok = true
        while (i < n && ok) {
          const line = i % 500 === 499
            ? `,c${i}.example,,,,,no name\n`
            : `"Company ${i}, Ltd",https://www.c${i}.example/about,SG,11-50,software,owner${i % 7},"a note, ${i}"\n`
          const again = i % 10 === 3 ? `"Company ${i}, Ltd",C${i}.EXAMPLE.,,,,owner${i % 7},\n` : ""
          ok = out.write(line + again)
          i++
        }
        if (i < n) out.once("drain", more)
        else out.end(() => resolve(path))
      }
      more()
    })
  )

/** Imports `path` into `tenant`, sampling memory: the summary, seconds, and peak growth over the baseline. */
const importOnce = (tenant: Store.TenantStore, path: string) =>
  Effect.gen(function*() {
    gc()
    const base = process.memoryUsage()
    let peakRss = base.rss
    let peakHeap = base.heapUsed
    const timer = setInterval(() => {
      const m = process.memoryUsage()
      peakRss = Math.max(peakRss, m.rss)
      peakHeap = Math.max(peakHeap, m.heapUsed)
    }, 50)
    const start = performance.now()
    const summary = yield* CompanyImport.run(tenant, CompanyFile.rows(path)).pipe(
      Effect.ensuring(Effect.sync(() => clearInterval(timer)))
    )
    const seconds = (performance.now() - start) / 1000
    gc()
    const retained = process.memoryUsage().heapUsed - base.heapUsed
    return { summary, seconds, rss: peakRss - base.rss, heap: peakHeap - base.heapUsed, retained }
  })

const bench = (label: string) =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    console.log(`\n== ${label}`)
    for (const [n, name] of [[Math.round(rows / 10), "baseline"], [rows, "file"]] as const) {
      const path = yield* writeCsv(n, `${name}.csv`)
      const tenant = store.forTenant(Tenant.TenantId.make(`bench-${name}`))
      yield* tenant.tenants.save({ name })
      for (const pass of ["first", "again"]) {
        const r = yield* importOnce(tenant, path)
        const s = r.summary
        console.log(
          `${fmt(n).padStart(7)} companies, ${pass.padEnd(5)}: ${fmt((s.accepted + s.rejected) / r.seconds).padStart(7)} rows/s ` +
            `(${r.seconds.toFixed(1)} s; ${fmt(s.added)} added, ${fmt(s.updated)} updated, ${fmt(s.unchanged)} unchanged, ` +
            `${fmt(s.rejected)} rejected); peak RSS +${mb(r.rss)} MB, peak heap +${mb(r.heap)} MB, ` +
            `heap retained ${mb(r.retained)} MB`
        )
      }
    }
  })

type Db = Layer.Layer<TestDatabases.Provides, Store.StoreError>
const run = (label: string, database: Db) => bench(label).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provideMerge(database))))

const main = Effect.gen(function*() {
  console.log(`cores: ${cpus().length}, load: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  if (only !== "postgres") yield* run("PGlite (in memory)", TestDatabases.pglite())
  const url = process.env.DATABASE_URL
  if (only !== "pglite" && url !== undefined) {
    yield* run("Postgres", TestDatabases.scratchSchema("bench_import", url, process.env.MIGRATION_DATABASE_URL))
  }
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
}).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
