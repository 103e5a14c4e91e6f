/**
 * The companies and tenants repositories, and target selection.
 *
 * @internal
 */
import type { SqlClient } from "@effect/sql"
import { Company, Store } from "@leadgraph/core"
import type { Score, Tenant } from "@leadgraph/core"
import { Effect, Schema } from "effect"
import { batched, column, type Context, count, lastByKey } from "./shared.js"

/** @internal */
export const companyColumns = `id, tenant_id AS "tenantId", name, domain, website, industry,
  ssic_code AS "ssicCode", country, employee_range AS "employeeRange", last_seen AS "lastSeen",
  last_enriched_at AS "lastEnrichedAt"`

const decodeCompanies = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Company.Company)))

/** @internal */
export const tenants = ({ run, sql, tenantId }: Context): Store.Tenants => ({
  save: (tenant) =>
    run(
      "tenants.save",
      sql`INSERT INTO tenants (id, name) VALUES (${tenantId}, ${tenant.name})
        ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE tenants.name IS DISTINCT FROM excluded.name`
        .pipe(Effect.asVoid)
    ),
  saveOdooConnection: (c) =>
    run(
      "tenants.saveOdooConnection",
      sql`INSERT INTO odoo_connections (tenant_id, active, url, database, login, secret_ref)
        VALUES (${tenantId}, ${c.active}, ${c.url}, ${c.database}, ${c.login}, ${c.secretRef})
        ON CONFLICT (tenant_id) DO UPDATE SET active = excluded.active, url = excluded.url,
          database = excluded.database, login = excluded.login, secret_ref = excluded.secret_ref,
          updated_at = now()`.pipe(Effect.asVoid)
    )
})

/**
 * The statement of target selection; its ORDER BY is the column order of
 * `companies_targets_idx`, so the LIMIT is served by the index.
 *
 * @internal
 */
export const targetsStatement = (
  sql: SqlClient.SqlClient,
  tenantId: Tenant.TenantId,
  options: Company.SelectOptions,
  [start, end]: readonly [Date, Date]
) => {
  const notToday = options.rerun === true
    ? sql.literal("true")
    : sql`(last_enriched_at IS NULL OR last_enriched_at < ${start} OR last_enriched_at >= ${end})`
  return sql`SELECT ${sql.literal(companyColumns)} FROM companies
    WHERE tenant_id = ${tenantId} AND ${notToday}
    ORDER BY has_features, has_contacts, last_enriched_at NULLS FIRST, id
    LIMIT ${options.cap}`
}

/**
 * Where a page of the score export resumes: after this score and company.
 *
 * @internal
 */
export type ExportKey = readonly [score: number, companyId: string]

/**
 * One page of the score export, best first: a keyset page read in order
 * from `lead_scores_score_idx` (tenant, score desc, company desc), resuming
 * strictly after `after`.
 *
 * @internal
 */
export const exportStatement = (
  sql: SqlClient.SqlClient,
  tenantId: Tenant.TenantId,
  minScore: number,
  after: ExportKey | undefined,
  limit: number
) =>
  sql<Score.ScoredLead>`SELECT s.company_id AS "companyId", c.name, c.domain, c.website, s.score, s.bucket,
      s.rationale, s.scored_at AS "scoredAt"
    FROM lead_scores s JOIN companies c ON c.tenant_id = s.tenant_id AND c.id = s.company_id
    WHERE s.tenant_id = ${tenantId} AND s.score >= ${minScore}${
    after === undefined ? sql.literal("") : sql` AND (s.score, s.company_id) < (${after[0]}::float8, ${after[1]}::uuid)`
  }
    ORDER BY s.score DESC NULLS LAST, s.company_id DESC
    LIMIT ${limit}`

/** @internal */
export const dayRange = (runDay: string): readonly [Date, Date] | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(runDay)) return undefined
  const start = new Date(`${runDay}T00:00:00.000Z`)
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== runDay) return undefined
  return [start, new Date(start.getTime() + 86_400_000)]
}

/** @internal */
export const companies = ({ run, sql, tenantId }: Context): Store.Companies => ({
  upsert: (inputs) =>
    run(
      "companies.upsert",
      batched(lastByKey(inputs, (c) => c.domain), (chunk) =>
        sql<{ n: number }>`WITH w AS (
          INSERT INTO companies (tenant_id, name, domain, website, industry, ssic_code, country, employee_range,
            last_seen)
          SELECT ${tenantId}, * FROM unnest(${column(chunk, (c) => c.name)}::text[],
            ${column(chunk, (c) => c.domain)}::text[], ${column(chunk, (c) => c.website)}::text[],
            ${column(chunk, (c) => c.industry)}::text[], ${column(chunk, (c) => c.ssicCode)}::text[],
            ${column(chunk, (c) => c.country)}::text[], ${column(chunk, (c) => c.employeeRange)}::text[],
            ${column(chunk, (c) => c.lastSeen)}::timestamptz[])
          ON CONFLICT (tenant_id, domain) DO UPDATE SET
            name = excluded.name, website = excluded.website, industry = excluded.industry,
            ssic_code = excluded.ssic_code, country = excluded.country,
            employee_range = excluded.employee_range,
            last_seen = GREATEST(companies.last_seen, excluded.last_seen), updated_at = now()
          WHERE (companies.name, companies.website, companies.industry, companies.ssic_code,
                 companies.country, companies.employee_range, companies.last_seen)
            IS DISTINCT FROM (excluded.name, excluded.website, excluded.industry, excluded.ssic_code,
                 excluded.country, excluded.employee_range, GREATEST(companies.last_seen, excluded.last_seen))
          RETURNING 1
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))
    ),
  findByDomains: (domains) =>
    run(
      "companies.findByDomains",
      sql`SELECT ${sql.literal(companyColumns)} FROM companies
        WHERE tenant_id = ${tenantId} AND domain = ANY(${domains as ReadonlyArray<string>}::text[])
        ORDER BY domain`.pipe(Effect.flatMap(decodeCompanies))
    ),
  selectTargets: (options) => {
    const range = dayRange(options.runDay)
    if (range === undefined || !Number.isInteger(options.cap) || options.cap < 0) {
      return Effect.fail(
        new Store.StoreError({
          reason: "Invalid",
          operation: "companies.selectTargets",
          detail: "runDay must be YYYY-MM-DD and cap a non-negative integer"
        })
      )
    }
    return run(
      "companies.selectTargets",
      targetsStatement(sql, tenantId, options, range).pipe(Effect.flatMap(decodeCompanies))
    )
  }
})

/** @internal */
export const listActiveTenants = (
  { sql }: Pick<Context, "sql">,
  filter?: Tenant.TenantFilter
) => {
  const include = filter?.include ?? []
  const exclude = filter?.exclude ?? []
  return sql<{ id: Tenant.TenantId; name: string }>`SELECT t.id, t.name FROM tenants t
    JOIN odoo_connections o ON o.tenant_id = t.id AND o.active
    WHERE (cardinality(${include}::text[]) = 0 OR t.id = ANY(${include}::text[]))
      AND NOT (t.id = ANY(${exclude}::text[]))
    ORDER BY t.id`
}
