/**
 * The score export on Postgres streams one statement through a cursor in one
 * transaction of the tenant, held across fetches and ended when the stream
 * ends or its consumer stops; on PGlite (one session shared by every
 * connection) it reads keyset pages instead.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { StoreLive, Tenancy } from "@leadgraph/adapters"
import type { Company, Score } from "@leadgraph/core"
import { Store, Tenant } from "@leadgraph/core"
import { Chunk, Effect, Layer, Stream } from "effect"
import { targets } from "./harness.js"

const tenantId = Tenant.TenantId.make("export")
const rows = 1500
// the cursor fetches 128 rows at a time (@effect/sql-pg), and the transaction's
// fiber runs up to two fetches ahead of the consumer (Tenancy.withTenantStream's
// queue): the transaction may already have ended while the last rows are read,
// so the second probe is four fetches before the end
const probeAt = rows - 4 * 128

interface Session {
  readonly pid: number
  readonly state: string
  readonly xact: string | null
}

for (const target of targets("export")) {
  describe(`score export (${target.label})`, () => {
    it.layer(StoreLive.layer().pipe(Layer.provideMerge(target.database)), { timeout: "120 seconds" })((it) => {
      it.effect("streams through one cursor in one tenant transaction, closed when the stream ends", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const tenancy = yield* Tenancy.Tenancy
          const sql = yield* SqlClient.SqlClient
          expect(tenancy.sharedSession).toBe(target.label === "pglite")
          const t = store.forTenant(tenantId)
          yield* t.tenants.save({ name: "Export" })
          const domains = Array.from({ length: rows }, (_, i) => `x${i}.example` as Company.Domain)
          yield* t.companies.upsert(domains.map((domain, i) => ({
            name: `X ${i}`,
            domain,
            website: null,
            industry: null,
            ssicCode: null,
            country: null,
            employeeRange: null,
            lastSeen: null
          })))
          const companies = yield* t.companies.findByDomains(domains)
          yield* t.leads.upsertScores(companies.map((c, i) => ({
            companyId: c.id,
            score: (i % 100) as Score.ScoreValue,
            bucket: "medium" as const,
            rationale: null,
            runId: null,
            scoredAt: new Date("2026-03-02T00:00:00Z")
          })))

          if (tenancy.sharedSession) {
            const all = yield* Stream.runCollect(t.exportScores(0))
            expect(Chunk.size(all)).toBe(rows)
            return
          }
          // the sessions (other than this probe's) whose last statement is the
          // export, of this suite's own schema: its lead_scores table is locked by
          // the export's open transaction (other suites may export at the same time)
          const exporting = sql<Session>`SELECT pid, state, xact_start::text AS xact FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND query LIKE '%FROM lead_scores s JOIN companies c%'
              AND pid IN (SELECT l.pid FROM pg_locks l WHERE l.relation = 'lead_scores'::regclass)`
          const seen: Array<ReadonlyArray<Session>> = []
          const count = yield* t.exportScores(0).pipe(
            Stream.zipWithIndex,
            Stream.tap(([, i]) => i === 0 || i === probeAt ? Effect.map(exporting, (s) => seen.push(s)) : Effect.void),
            Stream.runCount
          )
          expect(count).toBe(rows)
          // the first row and one seven fetches later come from the same open
          // transaction of one session
          const [first, last] = seen
          expect(first).toHaveLength(1)
          expect(first![0]!.xact).not.toBeNull()
          const id = (s: ReadonlyArray<Session> | undefined) => s?.map(({ pid, xact }) => ({ pid, xact }))
          expect(id(last)).toEqual(id(first))
          // and once the stream has ended, the session is back in the pool, idle
          const after = yield* exporting
          expect(after.filter((s) => s.xact !== null)).toEqual([])

          // a consumer that stops early ends the transaction too
          expect(Chunk.size(yield* Stream.runCollect(Stream.take(t.exportScores(0), 3)))).toBe(3)
          expect((yield* exporting).filter((s) => s.xact !== null)).toEqual([])
        }))
    })
  })
}
