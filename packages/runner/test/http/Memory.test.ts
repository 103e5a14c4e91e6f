/**
 * An export of 100,000 rows streams, on both databases: while the JSON and
 * the CSV export are downloaded over real HTTP by a client in another
 * process (read and dropped as they come), the server process's live
 * JavaScript memory (V8 heap plus buffers outside it, sampled after a forced
 * collection every second) never grows more than 50 MB over what it was
 * before the request. RSS growth is printed, not asserted: with PGlite the
 * database runs in the same process. Rows are seeded with one set-based
 * statement in the tenant's transaction.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Tenancy } from "@leadgraph/adapters"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { BaseUrl, layer, targets, tenantA, tokenFor } from "./harness.js"

const rows = 100_000
const limit = 50 * 1024 * 1024

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/**
 * The server's memory: heap in use plus array buffers. With PGlite the
 * array buffers include the database's WebAssembly memory, so its growth
 * counts too.
 */
const jsMemory = () => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const client = fileURLToPath(new URL("./downloadClient.mjs", import.meta.url))

/**
 * Downloads `url` in a child process (so the client's buffers are not the
 * server's) while sampling this process's memory after a forced collection
 * every second (sampled every 200 ms, the forced collections took a third
 * of the test's CPU).
 */
const download = (url: string, token: string) =>
  Effect.promise(async () => {
    gc()
    const before = jsMemory()
    const rssBefore = process.memoryUsage().rss
    let peak = before
    let rssPeak = rssBefore
    const sample = setInterval(() => {
      gc()
      peak = Math.max(peak, jsMemory())
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
    }, 1_000)
    const child = spawn(process.execPath, [client, url, token], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => void (out += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
    clearInterval(sample)
    gc()
    peak = Math.max(peak, jsMemory())
    if (code !== 0) throw new Error(`the download client exited with ${code}`)
    const { bytes, lines, status } = JSON.parse(out) as { status: number; bytes: number; lines: number }
    return {
      status,
      bytes,
      lines,
      growth: peak - before,
      rssGrowth: rssPeak - rssBefore
    }
  })

for (const target of targets("http_memory")) {
  describe(`large export (${target.label})`, () => {
    it.layer(layer(target.database), { timeout: "300 seconds" })((it) => {
      it.effect("streams JSON and CSV of over 50 MB with less than 50 MB of memory growth", () =>
        Effect.gen(function*() {
          // each row about 800 bytes of JSON: the body is over 50 MB
          const pad = 500
          const tenancy = yield* Tenancy.Tenancy
          const sql = yield* SqlClient.SqlClient
          yield* tenancy.withTenant(
            tenantA,
            Effect.all([
              sql`INSERT INTO tenants (id, name) VALUES (${tenantA}, 'Memory')`,
              sql`INSERT INTO companies (tenant_id, name, domain)
                SELECT ${tenantA}, 'Company "' || i || '", with a comma and ünïcødé', 'c' || i || '.example'
                FROM generate_series(1, ${rows}) AS i`,
              sql`INSERT INTO lead_scores (tenant_id, company_id, score, bucket, rationale, scored_at)
                SELECT tenant_id, id, 50 + (hashtext(domain) & 49), 'medium',
                  'a rationale long enough to make each row a few hundred bytes: ' || repeat('x', ${pad}), now()
                FROM companies WHERE tenant_id = ${tenantA}`
            ], { discard: true })
          )
          const token = yield* tokenFor(tenantA)
          const base = yield* BaseUrl
          const json = yield* download(`${base}/export/latest_scores.json?min_score=0`, token)
          const csv = yield* download(`${base}/export/latest_scores.csv?min_score=0`, token)
          const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
          for (const [kind, r] of [["json", json], ["csv", csv]] as const) {
            console.log(
              `${target.label} export of ${rows} rows as ${kind}: ${mb(r.bytes)} sent; server JS memory growth ${mb(r.growth)}, ` +
                `rss ${mb(r.rssGrowth)}`
            )
          }
          expect(json.status).toBe(200)
          expect(csv.status).toBe(200)
          // "[", a line per row, "]"
          expect(json.lines).toBe(rows + 2)
          // the header and a line per row
          expect(csv.lines).toBe(rows + 1)
          // the bodies are far larger than the limit, so holding one would fail
          expect(json.bytes).toBeGreaterThan(limit)
          expect(json.growth).toBeLessThan(limit)
          expect(csv.growth).toBeLessThan(limit)
        }), 300_000)
    })
  })
}
