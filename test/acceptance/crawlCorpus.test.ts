/**
 * Acceptance: `PERSIST_CRAWL_CORPUS` (`EnrichmentRun.Options.persistCrawlCorpus`).
 * A run is interrupted while some companies are crawled but not yet
 * extracted (the LLM answers slowly), then resumed with the same run id.
 *
 * - `true`: the stored crawl checkpoints keep the corpus and the page texts;
 *   on resume a checkpointed crawl is restored (its site is not fetched
 *   again) and extraction reads the stored text.
 * - `false`: the stored crawl checkpoints keep the pages' signals, titles
 *   and URLs but no corpus and no page text; on resume a crawl whose
 *   text-reading steps (search, extract, score) were not all checkpointed is
 *   crawled again (its home page fetched a second time), so extraction still
 *   gets the text.
 *
 * In both, the resumed run ends with every company of the manifest terminal
 * and none failed, and every lead's firmographics came from the LLM.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Tenancy } from "@leadgraph/adapters"
import { EnrichmentRun, Store } from "@leadgraph/core"
import type { Company, Tenant } from "@leadgraph/core"
import { Effect, Fiber } from "effect"
import { expectWhole, finished, makeWorld, targets } from "./harness.js"

const companies = 12

interface StoredCrawl {
  readonly corpus: string
  readonly signals: { readonly emails: ReadonlyArray<string>; readonly phones: ReadonlyArray<string> }
  readonly pages: ReadonlyArray<{ readonly url: string; readonly title: string; readonly text: string; readonly signals: unknown }>
}

const decode = (value: unknown): StoredCrawl => (typeof value === "string" ? JSON.parse(value) : value) as StoredCrawl

/** The run's crawl checkpoints by company, which companies have which step checkpointed, and the outcomes. */
const progress = (tenantId: Tenant.TenantId, runId: string) =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    return yield* tenancy.withTenant(
      tenantId,
      Effect.all({
        crawls: sql<{ target_id: string; value: unknown }>`
          SELECT target_id, value FROM step_checkpoints WHERE run_id = ${runId} AND step = 'crawl'`.pipe(
          Effect.map((rows) => new Map(rows.map((r) => [r.target_id, decode(r.value)])))
        ),
        steps: sql<{ target_id: string; step: string }>`
          SELECT target_id, step FROM step_checkpoints WHERE run_id = ${runId}`.pipe(
          Effect.map((rows) => {
            const by = new Map<string, Set<string>>()
            for (const r of rows) by.set(r.step, (by.get(r.step) ?? new Set()).add(r.target_id))
            return by
          })
        ),
        outcomes: sql<{ company_id: string; status: string }>`
          SELECT company_id::text AS company_id, status FROM company_enrichment_runs WHERE run_id = ${runId}`,
        sources: sql<{ source: string | null; n: number }>`
          SELECT features->>'source' AS source, count(*)::int AS n FROM lead_features GROUP BY 1`.pipe(
          Effect.map((rows) => Object.fromEntries(rows.map((r) => [String(r.source), r.n])) as Record<string, number>)
        )
      })
    )
  })

type Progress = Effect.Effect.Success<ReturnType<typeof progress>>

const count = (p: Progress, step: string) => p.steps.get(step)?.size ?? 0

describe.each(targets)("acceptance: PERSIST_CRAWL_CORPUS ($label)", ({ database }) => {
  for (const persist of [true, false]) {
    it.live(
      `${persist}: crawl checkpoints ${persist ? "keep the page texts" : "keep only signals"}; an interrupted run resumes to the end`,
      () =>
        Effect.scoped(Effect.gen(function*() {
          const world = yield* makeWorld({
            database: database(),
            companiesPerTenant: companies,
            vendors: { openAi: { latency: "1000 millis" } }
          })
          const tenant = world.tenants[0]!
          const runId = `${tenant.id}-corpus-${persist}`
          const options = yield* world.options(tenant.id, { runId, concurrency: 4, persistCrawlCorpus: persist })

          // interrupted once some crawls are checkpointed whose extraction is not
          const fiber = yield* Effect.fork(world.use(EnrichmentRun.run(options)))
          const midway = (p: Progress) => count(p, "crawl") > count(p, "extract")
          while (!midway(yield* world.use(progress(tenant.id, runId))) && fiber.unsafePoll() === null) {
            yield* Effect.sleep("25 millis")
          }
          yield* Fiber.interrupt(fiber)
          const interrupted = yield* world.use(progress(tenant.id, runId))
          expect(interrupted.outcomes.length, "interrupted before the end").toBeLessThan(companies)
          const crawled = [...interrupted.crawls.keys()]
          const textRead = (id: string) =>
            ["search", "extract", "score"].every((step) => interrupted.steps.get(step)?.has(id) === true)
          const waiting = crawled.filter((id) => !textRead(id))
          expect(waiting.length, "crawled companies whose text-reading steps were not all checkpointed").toBeGreaterThan(0)

          // what the checkpoints hold
          for (const [id, crawl] of interrupted.crawls) {
            expect(crawl.pages.length, id).toBeGreaterThan(0)
            expect(crawl.pages.every((p) => p.url !== "" && p.signals !== undefined), id).toBe(true)
            if (persist) {
              expect(crawl.corpus.length, id).toBeGreaterThan(0)
              expect(crawl.pages.some((p) => p.text.length > 0), id).toBe(true)
            } else {
              expect(crawl.corpus, id).toBe("")
              expect(crawl.pages.map((p) => p.text), id).toEqual(crawl.pages.map(() => ""))
              expect(crawl.pages.some((p) => p.title !== ""), id).toBe(true)
            }
          }
          // the signals are kept either way (the fixture sites publish their addresses)
          expect([...interrupted.crawls.values()].some((c) => c.signals.emails.length > 0 || c.signals.phones.length > 0))
            .toBe(true)

          const hosts = new Map(
            (yield* world.use(Effect.flatMap(Store.Store, (s) =>
              s.forTenant(tenant.id).companies.findByIds(crawled.map((id) => id as Company.CompanyId)))))
              .map((c) => [c.id as string, c.domain as string])
          )
          const homeFetches = (log: ReadonlyArray<{ readonly host: string; readonly path: string }>, id: string) =>
            log.filter((e) => e.host === hosts.get(id) && e.path === "/").length
          const before = yield* world.web.log
          for (const id of crawled) expect(homeFetches(before, id), hosts.get(id)).toBe(1)

          // resumed with the same id: every company terminal, none failed
          const result = finished(yield* world.use(EnrichmentRun.run(options)))
          expect(result.runId).toBe(runId)
          const stored = yield* expectWhole(world, tenant.id, result, companies)
          const done = yield* world.use(progress(tenant.id, runId))
          expect(["succeeded", "partial"]).toContain(stored.status)
          // extraction had the text in both modes: no lead fell back to the crawl's signals
          expect(done.sources).toEqual({ llm: companies })

          // a checkpointed crawl was restored (persisted) or crawled again (not persisted, text still needed)
          const after = yield* world.web.log
          for (const id of crawled) {
            expect(homeFetches(after, id), hosts.get(id)).toBe(persist || textRead(id) ? 1 : 2)
          }
          // every company's crawl is checkpointed now, as the mode says
          expect(done.crawls.size).toBe(companies)
          for (const crawl of done.crawls.values()) {
            if (persist) expect(crawl.corpus.length).toBeGreaterThan(0)
            else expect([crawl.corpus, ...crawl.pages.map((p) => p.text)].every((t) => t === "")).toBe(true)
          }
        })),
      150_000
    )
  }
})
