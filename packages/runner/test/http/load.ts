/**
 * Load figure of `leadgraph serve`: the JSON export of 1,000 rows under a
 * keep-alive load generator. The server runs in this process (over
 * Postgres at `DATABASE_URL`, or embedded PGlite); the generator runs in a
 * child process (`loadClient.mjs`) so the two do not share an event loop.
 *
 *   npx tsx --tsconfig tsconfig.json packages/runner/test/http/load.ts [seconds] [connections]
 *
 * Prints requests per second, latency percentiles and errors.
 */
import { NodeRuntime } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Tenancy } from "@leadgraph/adapters"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { BaseUrl, layer, targets, tenantA, tokenFor } from "./harness.js"

const seconds = Number(process.argv[2] ?? 30)
const connections = Number(process.argv[3] ?? 10)
const rows = 1000
const target = targets("http_load").at(-1)!

const main = Effect.gen(function*() {
  const tenancy = yield* Tenancy.Tenancy
  const sql = yield* SqlClient.SqlClient
  yield* tenancy.withTenant(
    tenantA,
    Effect.all([
      sql`INSERT INTO tenants (id, name) VALUES (${tenantA}, 'Load')`,
      sql`INSERT INTO companies (tenant_id, name, domain)
        SELECT ${tenantA}, 'Company ' || i || ', Ltd.', 'c' || i || '.example' FROM generate_series(1, ${rows}) AS i`,
      sql`INSERT INTO lead_scores (tenant_id, company_id, score, bucket, rationale, scored_at)
        SELECT tenant_id, id, 60 + (hashtext(domain) & 31), 'medium', 'fits the profile: industry, country, verified contacts', now()
        FROM companies WHERE tenant_id = ${tenantA}`
    ], { discard: true })
  )
  const token = yield* tokenFor(tenantA)
  const base = yield* BaseUrl
  const url = `${base}/export/latest_scores.json?min_score=0`
  const client = fileURLToPath(new URL("./loadClient.mjs", import.meta.url))
  const output = yield* Effect.async<string, Error>((resume) => {
    const child = spawn(process.execPath, [client, url, token, String(seconds), String(connections), String(rows)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (d) => (out += String(d)))
    // @effect-diagnostics-next-line globalErrorInEffectFailure:off -- a test helper: the message is all the caller reads
    child.on("exit", (code) => resume(code === 0 ? Effect.succeed(out) : Effect.fail(new Error(`load client exited ${code}`))))
  })
  console.log(`database: ${target.label}; ${rows} rows per response; ${connections} keep-alive connections; ${seconds} s`)
  console.log(output.trim())
})

main.pipe(Effect.provide(layer(target.database).pipe(Layer.orDie)), NodeRuntime.runMain)
