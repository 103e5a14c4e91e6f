/**
 * One run per tenant across processes, over real HTTP on 127.0.0.1 against
 * PGlite (and Postgres when `DATABASE_URL` is set): a kickoff is refused
 * while anyone holds the tenant's run lock (here the test, through the
 * store, standing in for the nightly job of another process), the lock is
 * the kickoff's while its run goes and free once it ends, and
 * `GET /admin/runs/{id}` reads a run this server never started from the
 * store.
 */
import { describe, expect, it } from "@effect/vitest"
import { Store } from "@leadgraph/core"
import type { Company, Run } from "@leadgraph/core"
import { Effect, Exit, Scope } from "effect"
import { adminToken, call, Launcher, layer, seedTenant, targets, tenantA, tenantB } from "./harness.js"

const json = (text: string) => JSON.parse(text) as unknown
const admin = { method: "POST", token: adminToken }
const kickoff = (body: unknown) => call("/admin/runs", { ...admin, body: JSON.stringify(body) })

/** The run's status once it is no longer running (the launcher stand-in ends when released). */
const ended = (id: string) =>
  Effect.gen(function*() {
    let status = json((yield* call(`/admin/runs/${id}`, { token: adminToken })).text) as { status: string }
    for (let i = 0; i < 200 && status.status === "running"; i++) {
      yield* Effect.yieldNow()
      status = json((yield* call(`/admin/runs/${id}`, { token: adminToken })).text) as { status: string }
    }
    return status
  })

for (const target of targets("http_lock")) {
  describe(`leadgraph serve: one run per tenant (${target.label})`, () => {
    it.layer(layer(target.database), { timeout: "120 seconds" })((it) => {
      const seeded = Effect.gen(function*() {
        const a = yield* seedTenant(tenantA, [
          { name: "One", domain: "one.example", score: 80 },
          { name: "Two", domain: "two.example", score: 40 }
        ], { odoo: true })
        yield* seedTenant(tenantB, [{ name: "Three", domain: "three.example", score: 70 }], { odoo: true })
        return a
      }).pipe(Effect.cached, Effect.runSync)

      it.effect("409 while another holder has the lock; `all` skips the tenant; the kickoff holds it until its run ends", () =>
        Effect.gen(function*() {
          yield* seeded
          const store = yield* Store.Store
          const launcher = yield* Launcher
          // another process's run of tenant A
          const elsewhere = yield* Scope.make()
          expect(yield* Scope.extend(store.tryLockRun(tenantA), elsewhere)).toBe(true)
          const refused = yield* kickoff({ tenant: tenantA })
          expect(refused.status).toBe(409)
          const conflict = json(refused.text) as { _tag: string; message: string; runId?: string }
          expect(conflict._tag).toBe("Conflict")
          expect(conflict.message).toContain("another process")
          expect(conflict.runId).toBeUndefined()
          expect(yield* launcher.launched).toHaveLength(0)

          const all = yield* kickoff({ all: true })
          expect(all.status).toBe(202)
          const started = json(all.text) as {
            runs: Array<{ id: string; tenantId: string }>
            alreadyRunning: Array<{ id: string | null; tenantId: string }>
          }
          expect(started.runs.map((r) => r.tenantId)).toEqual([tenantB])
          expect(started.alreadyRunning).toEqual([{ id: null, tenantId: tenantA }])
          expect((yield* launcher.launched).map((l) => l.tenantId)).toEqual([tenantB])
          // B's run, started here, holds B's lock: another process could not start one
          expect(yield* Effect.scoped(store.tryLockRun(tenantB))).toBe(false)

          // the other process's run ends: A can be kicked off, and its run holds the lock
          yield* Scope.close(elsewhere, Exit.void)
          const accepted = yield* kickoff({ tenant: tenantA })
          expect(accepted.status).toBe(202)
          const id = (json(accepted.text) as { runs: Array<{ id: string }> }).runs[0]!.id
          expect(yield* Effect.scoped(store.tryLockRun(tenantA))).toBe(false)
          const again = yield* kickoff({ tenant: tenantA })
          expect(again.status).toBe(409)
          expect(json(again.text)).toMatchObject({ _tag: "Conflict", runId: id })

          // the runs end: their locks are free, and the next kickoff is accepted
          yield* launcher.release
          expect(yield* ended(id)).toMatchObject({ status: "succeeded" })
          expect(yield* ended(started.runs[0]!.id)).toMatchObject({ status: "succeeded" })
          expect(yield* Effect.scoped(store.tryLockRun(tenantA))).toBe(true)
          expect(yield* Effect.scoped(store.tryLockRun(tenantB))).toBe(true)
          const next = yield* kickoff({ tenant: tenantA })
          expect(next.status).toBe(202)
          expect(yield* ended((json(next.text) as { runs: Array<{ id: string }> }).runs[0]!.id)).toMatchObject({
            status: "succeeded"
          })
        }))

      it.effect("GET /admin/runs/{id} reads a finished run recorded by another process", () =>
        Effect.gen(function*() {
          const companies: ReadonlyArray<Company.Company> = yield* seeded
          const store = yield* Store.Store
          const runs = store.forTenant(tenantA).runs
          const id = `${tenantA}-2026-03-03-elsew1` as Run.RunId
          yield* runs.create({
            runId: id,
            runDay: "2026-03-03",
            rerun: false,
            cap: 10,
            companyIds: companies.map((c) => c.id),
            caps: {}
          }, new Date("2026-03-03T01:00:00Z"))
          const running = yield* call(`/admin/runs/${id}`, { token: adminToken })
          expect(running.status).toBe(200)
          expect(json(running.text)).toMatchObject({ id, status: "running", progress: { total: 2, done: 0 }, summary: null })
          const finishedAt = new Date("2026-03-03T01:05:00Z")
          yield* runs.recordOutcomes(id, companies.map((c, i) => ({
            companyId: c.id,
            status: i === 0 ? "succeeded" as const : "failed" as const,
            steps: {},
            finishedAt
          })))
          yield* runs.finish(id, {
            status: "partial",
            finishedAt,
            steps: {
              crawl: { succeeded: 2, skipped: 0, failed: 0, totalMillis: 40, maxMillis: 30 },
              contacts: { succeeded: 1, skipped: 0, failed: 1, totalMillis: 20, maxMillis: 15 }
            },
            errorSummary: null
          })
          const answer = yield* call(`/admin/runs/${id}`, { token: adminToken })
          expect(answer.status).toBe(200)
          expect(json(answer.text)).toEqual({
            id,
            tenantId: tenantA,
            status: "partial",
            startedAt: "2026-03-03T01:00:00.000Z",
            finishedAt: "2026-03-03T01:05:00.000Z",
            progress: { total: 2, done: 2 },
            summary: {
              targets: { succeeded: 1, failed: 1, total: 2 },
              steps: {
                crawl: { succeeded: 2, skipped: 0, failed: 0 },
                contacts: { succeeded: 1, skipped: 0, failed: 1 }
              }
            },
            error: null
          })
          // the tenant comes from the id: B's id never reaches A's run, and an unknown id is a 404
          expect((yield* call(`/admin/runs/${tenantB}-2026-03-03-elsew1`, { token: adminToken })).status).toBe(404)
          expect((yield* call(`/admin/runs/nobody-2026-03-03-elsew1`, { token: adminToken })).status).toBe(404)
        }))
    })
  })
}
