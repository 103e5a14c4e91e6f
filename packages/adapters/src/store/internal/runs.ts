/**
 * The runs repository: manifests, company outcomes, summaries.
 *
 * @internal
 */
import { Run, Store } from "@leadgraph/core"
import { Effect, Option, Schema } from "effect"
import { batched, type Context, lastByKey } from "./shared.js"

const decodeRuns = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Run.Run)))
const decodeOutcomes = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Run.CompanyOutcome)))

/** A run's row with its manifest, as `Run` reads. */
const runColumns = `r.run_id AS id, r.tenant_id AS "tenantId", r.status, r.started_at AS "startedAt",
  r.finished_at AS "finishedAt", r.steps, r.counts, r.error_summary AS "errorSummary", r.spend,
  jsonb_build_object('runId', m.run_id, 'runDay', to_char(m.run_day, 'YYYY-MM-DD'), 'rerun', m.rerun,
    'cap', m.cap, 'companyIds', to_jsonb(m.company_ids), 'caps', m.caps) AS manifest`

/** @internal */
export const runs = ({ run, sql, tenantId }: Context): Store.Runs => ({
  create: (manifest, startedAt) =>
    run(
      "runs.create",
      Effect.zipRight(
        sql`INSERT INTO enrichment_runs (tenant_id, run_id, status, started_at)
          VALUES (${tenantId}, ${manifest.runId}, 'running', ${startedAt})
          ON CONFLICT (tenant_id, run_id) DO UPDATE SET status = 'running', finished_at = NULL`,
        sql`INSERT INTO run_manifests (tenant_id, run_id, run_day, rerun, cap, company_ids, caps)
          VALUES (${tenantId}, ${manifest.runId}, ${manifest.runDay}, ${manifest.rerun}, ${manifest.cap},
            ${manifest.companyIds}::uuid[], ${JSON.stringify(manifest.caps)})
          ON CONFLICT (tenant_id, run_id) DO UPDATE SET run_day = excluded.run_day, rerun = excluded.rerun,
            cap = excluded.cap, company_ids = excluded.company_ids, caps = excluded.caps`
      ).pipe(Effect.asVoid)
    ),
  recordOutcomes: (runId, outcomes) =>
    run(
      "runs.recordOutcomes",
      batched(lastByKey(outcomes, (o) => o.companyId), (chunk) =>
        sql<{ n: number }>`WITH w AS (
          INSERT INTO company_enrichment_runs ${
          sql.insert(chunk.map((o) => ({
            tenant_id: tenantId,
            run_id: runId,
            company_id: o.companyId,
            status: o.status,
            steps: JSON.stringify(o.steps),
            finished_at: o.finishedAt,
            score: o.score ?? null
          })))
        }
          ON CONFLICT (tenant_id, run_id, company_id) DO UPDATE SET
            status = excluded.status, steps = excluded.steps, finished_at = excluded.finished_at,
            score = excluded.score
          RETURNING company_id, status, finished_at
        ), enriched AS (
          UPDATE company_targets t SET last_enriched_at = GREATEST(t.last_enriched_at, w.finished_at)
          FROM w WHERE t.tenant_id = ${tenantId} AND t.company_id = w.company_id AND w.status IN ('succeeded', 'partial')
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map((rows) => rows[0]?.n ?? 0)))
    ).pipe(Effect.asVoid),
  finish: (runId, summary) =>
    run(
      "runs.finish",
      sql<{ run_id: string }>`UPDATE enrichment_runs SET
          status = ${summary.status}, finished_at = ${summary.finishedAt},
          steps = ${JSON.stringify(summary.steps)}::jsonb, error_summary = ${summary.errorSummary},
          spend = (SELECT COALESCE(jsonb_object_agg(key, total), '{}'::jsonb) FROM (
            SELECT key, sum(value::numeric) AS total FROM (
              SELECT * FROM jsonb_each_text(COALESCE(enrichment_runs.spend, '{}'::jsonb))
              UNION ALL SELECT * FROM jsonb_each_text(${JSON.stringify(summary.spend ?? {})}::jsonb)) e
            GROUP BY key) t),
          counts = (SELECT COALESCE(jsonb_object_agg(status, n), '{}'::jsonb) FROM (
            SELECT status, count(*)::int AS n FROM company_enrichment_runs
            WHERE tenant_id = ${tenantId} AND run_id = ${runId} GROUP BY status) s)
        WHERE tenant_id = ${tenantId} AND run_id = ${runId}
        RETURNING run_id`.pipe(
        Effect.flatMap((rows) =>
          rows.length === 1
            ? Effect.void
            : Effect.fail(new Store.StoreError({ reason: "Invalid", operation: "runs.finish", detail: "unknown run" }))
        )
      )
    ),
  get: (runId) =>
    run(
      "runs.get",
      sql`SELECT ${sql.literal(runColumns)}
        FROM enrichment_runs r JOIN run_manifests m ON m.tenant_id = r.tenant_id AND m.run_id = r.run_id
        WHERE r.tenant_id = ${tenantId} AND r.run_id = ${runId}`.pipe(
        Effect.flatMap(decodeRuns),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )
    ),
  list: ({ from, limit }) =>
    run(
      "runs.list",
      sql`SELECT ${sql.literal(runColumns)}
        FROM enrichment_runs r JOIN run_manifests m ON m.tenant_id = r.tenant_id AND m.run_id = r.run_id
        WHERE r.tenant_id = ${tenantId}
          ${from === undefined ? sql`` : sql`AND (r.started_at, r.run_id) <= (${from.startedAt}, ${from.runId})`}
        ORDER BY r.started_at DESC, r.run_id DESC
        LIMIT ${Math.max(0, Math.floor(limit))}`.pipe(Effect.flatMap(decodeRuns))
    ),
  outcomes: (runId) =>
    run(
      "runs.outcomes",
      sql<{ readonly score: number | null }>`SELECT company_id AS "companyId", status, steps, finished_at AS "finishedAt", score
        FROM company_enrichment_runs WHERE tenant_id = ${tenantId} AND run_id = ${runId}
        ORDER BY finished_at, company_id`.pipe(
        // a company the run did not score has no score (not a null one)
        Effect.map((rows) => rows.map(({ score, ...row }) => score === null ? row : { ...row, score })),
        Effect.flatMap(decodeOutcomes)
      )
    )
})
