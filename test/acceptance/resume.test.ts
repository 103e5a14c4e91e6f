/**
 * Acceptance: a run interrupted in the middle and run again with the same
 * run id resumes from its checkpoints. No company is lost (every company of
 * the manifest has an outcome), and no paid call of a step that succeeded
 * before the interruption is made again: the second run's Lusha searches,
 * LLM extractions and rationales are exactly those of the steps that had no
 * checkpoint, and ZeroBounce charges no address of a verified company twice; and every lead
 * is as complete as an uninterrupted run makes it (firmographics from the LLM).
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Tenancy } from "@leadgraph/adapters"
import { EnrichmentRun, Store } from "@leadgraph/core"
import type { Run, Tenant } from "@leadgraph/core"
import { Effect, Fiber, Option } from "effect"
import { countCompletions, expectWhole, finished, makeWorld, targets } from "./harness.js"

const companies = 16

/** The run's recorded outcomes and saved checkpoints, read as the tenant. */
const progress = (tenantId: Tenant.TenantId, runId: string) =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    return yield* tenancy.withTenant(
      tenantId,
      Effect.all({
        outcomes: sql<{ company_id: string; status: string }>`
          SELECT company_id::text AS company_id, status FROM company_enrichment_runs WHERE run_id = ${runId}`,
        checkpoints: sql<{ step: string; n: number }>`
          SELECT step, count(*)::int AS n FROM step_checkpoints WHERE run_id = ${runId} GROUP BY step`.pipe(
          Effect.map((rows) => Object.fromEntries(rows.map((r) => [r.step, r.n])) as Record<string, number>)
        ),
        /** The companies whose `verify` step has succeeded (has a checkpoint). */
        verified: sql<{ target_id: string }>`
          SELECT target_id FROM step_checkpoints WHERE run_id = ${runId} AND step = 'verify'`.pipe(
          Effect.map((rows) => new Set(rows.map((r) => r.target_id)))
        ),
        /** Each stored address's company. */
        emails: sql<{ email: string; company_id: string }>`SELECT email, company_id::text AS company_id FROM lead_emails`.pipe(
          Effect.map((rows) => new Map(rows.map((r) => [r.email, r.company_id])))
        ),
        /** Where each stored lead's firmographics came from (`llm` or the crawl's `signals`). */
        sources: sql<{ source: string | null; n: number }>`
          SELECT features->>'source' AS source, count(*)::int AS n FROM lead_features GROUP BY 1`.pipe(
          Effect.map((rows) => Object.fromEntries(rows.map((r) => [String(r.source), r.n])) as Record<string, number>)
        )
      })
    )
  })

describe.each(targets)("acceptance: resume ($label)", ({ database }) => {
  it.live("an interrupted run resumes: no company lost, no succeeded step's paid call repeated", () =>
    Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({
        database: database(),
        companiesPerTenant: companies,
        vendors: { openAi: { latency: "1000 millis" } }
      })
      const tenant = world.tenants[0]!
      const runId = `${tenant.id}-resume-acceptance`
      const { fakes } = world
      const options = yield* world.options(tenant.id, { runId, concurrency: 4 })

      // First attempt: interrupted once some companies are recorded and some others are between
      // their crawl and their extraction (the LLM answers slowly, so that moment lasts).
      const fiber = yield* Effect.fork(world.use(EnrichmentRun.run(options)))
      const midway = (p: Effect.Effect.Success<ReturnType<typeof progress>>) =>
        p.outcomes.length > 0 && (p.checkpoints["crawl"] ?? 0) > (p.checkpoints["extract"] ?? 0)
      while (!midway(yield* world.use(progress(tenant.id, runId))) && fiber.unsafePoll() === null) {
        yield* Effect.sleep("25 millis")
      }
      yield* Fiber.interrupt(fiber)
      const interrupted = yield* world.use(progress(tenant.id, runId))
      expect(interrupted.outcomes.length).toBeGreaterThan(0)
      expect(interrupted.outcomes.length, "interrupted before the end").toBeLessThan(companies)
      expect(interrupted.checkpoints["crawl"], "some crawled companies wait for their extraction")
        .toBeGreaterThan(interrupted.checkpoints["extract"] ?? 0)
      const cancelled = yield* world.use(Effect.flatMap(Store.Store, (s) =>
        s.forTenant(tenant.id).runs.get(runId as Run.RunId)))
      expect(Option.getOrThrow(cancelled).status).toBe("cancelled")
      const saved = interrupted.checkpoints
      const lushaBefore = yield* fakes.lusha.callsOf("POST /prospecting/contact/search")
      // Steps in flight at the interruption may have called a vendor without a checkpoint: those may run again.
      expect(lushaBefore).toBeGreaterThanOrEqual(saved["contacts"] ?? 0)

      // Second attempt, same run id: resumes.
      const resumed = yield* countCompletions(
        fakes,
        world.use(EnrichmentRun.run(options)).pipe(Effect.map(finished))
      )
      const result = resumed.value
      expect(result.runId).toBe(runId)

      // No company lost: every company of the manifest has an outcome, none failed.
      const stored = yield* expectWhole(world, tenant.id, result, companies)
      const done = yield* world.use(progress(tenant.id, runId))
      expect(stored.status).not.toBe("failed")
      expect(stored.status).not.toBe("cancelled")

      // No succeeded step's paid call repeated: the second attempt paid only for steps without a checkpoint.
      const lushaAfter = yield* fakes.lusha.callsOf("POST /prospecting/contact/search")
      expect(lushaAfter - lushaBefore, "Lusha searches").toBe(companies - (saved["contacts"] ?? 0))
      // An extraction answered before the interruption but not yet checkpointed is kept (paid results), so the
      // resume may pay for fewer than the companies without an extract checkpoint, never for more.
      expect(resumed.kinds["firmographics"] ?? 0, "extractions").toBeLessThanOrEqual(companies - (saved["extract"] ?? 0))
      expect(resumed.kinds["lead_score_rationale"] ?? 0).toBeLessThanOrEqual(companies - (saved["rationale"] ?? 0))
      // An address ZeroBounce charged twice can only be one whose verification was in flight when the
      // run was interrupted (its company had no verify checkpoint), never one of a verify that had succeeded.
      const twice = [...(yield* fakes.zeroBounce.charges)].filter(([, n]) => n > 1).map(([email]) => email)
      const ofVerified = twice.filter((email) => {
        const company = done.emails.get(email)
        return company === undefined || interrupted.verified.has(company)
      })
      expect(ofVerified, "addresses charged again although their verify step had succeeded").toEqual([])
      // Resumed companies lost nothing either: every lead was extracted by the LLM, as in a run
      // never interrupted (a restored crawl must still give extraction its text).
      expect.soft(done.sources).toEqual({ llm: companies })
      // Every step of every company is now checkpointed once.
      expect(done.checkpoints["contacts"]).toBe(companies)
      expect(done.checkpoints["extract"]).toBe(companies)
    })), 150_000)
})
