/**
 * The companies and tenants repositories, and target selection.
 *
 * @internal
 */
import type { SqlClient } from "@effect/sql"
import { Company, RunDay, Store } from "@leadgraph/core"
import type { Score, Tenant } from "@leadgraph/core"
import { Array as Arr, Effect, Option, Schema } from "effect"
import { batched, batchSize, column, type Context, count, lastByKey } from "./shared.js"

/**
 * The columns of a `Company`, read from `companies c` joined with its
 * `company_targets t` (which holds the enrichment time).
 *
 * @internal
 */
export const companyColumns = `c.id, c.tenant_id AS "tenantId", c.name, c.domain, c.website, c.industry,
  c.ssic_code AS "ssicCode", c.country, c.employee_range AS "employeeRange", c.last_seen AS "lastSeen",
  t.last_enriched_at AS "lastEnrichedAt"`

const decodeCompanies = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Company.Company)))

/** @internal */
export const tenants = ({ run, sql, tenantId }: Context): Store.Tenants => ({
  save: ({ dailyCap, disabled, name, timeZone }) => {
    if (dailyCap !== undefined && dailyCap !== null && !(Number.isSafeInteger(dailyCap) && dailyCap >= 0)) {
      return Effect.fail(
        new Store.StoreError({
          reason: "Invalid",
          operation: "tenants.save",
          detail: "dailyCap must be a non-negative integer or null"
        })
      )
    }
    // a field left undefined keeps the stored value (a new tenant's default)
    const given = (value: unknown) => value !== undefined
    const statement = sql`INSERT INTO tenants (id, name, daily_cap, time_zone, disabled_at)
      VALUES (${tenantId}, ${name}, ${dailyCap ?? null}::int, ${timeZone ?? null}::text,
        CASE WHEN ${disabled === true} THEN now() END)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name,
        daily_cap = CASE WHEN ${given(dailyCap)} THEN excluded.daily_cap ELSE tenants.daily_cap END,
        time_zone = CASE WHEN ${given(timeZone)} THEN excluded.time_zone ELSE tenants.time_zone END,
        disabled_at = CASE WHEN ${given(disabled)}
          THEN CASE WHEN ${disabled === true} THEN coalesce(tenants.disabled_at, now()) END
          ELSE tenants.disabled_at END`
    return run("tenants.save", Effect.asVoid(statement))
  },
  saveOdooConnection: (c) =>
    run(
      "tenants.saveOdooConnection",
      // an undefined createLeads keeps the stored setting (true for a new connection)
      sql`INSERT INTO odoo_connections (tenant_id, active, url, database, login, secret_ref, create_leads)
        VALUES (${tenantId}, ${c.active}, ${c.url}, ${c.database}, ${c.login}, ${c.secretRef}, ${c.createLeads ?? true})
        ON CONFLICT (tenant_id) DO UPDATE SET active = excluded.active, url = excluded.url,
          database = excluded.database, login = excluded.login, secret_ref = excluded.secret_ref,
          create_leads = ${sql.literal(c.createLeads === undefined ? "odoo_connections.create_leads" : "excluded.create_leads")},
          updated_at = now()`.pipe(Effect.asVoid)
    ),
  get: run(
    "tenants.get",
    sql<{ name: string; daily_cap: number | null; time_zone: string | null; disabled: boolean }>`
      SELECT name, daily_cap, time_zone, disabled_at IS NOT NULL AS disabled FROM tenants
      WHERE id = ${tenantId}`.pipe(
      Effect.map((rows) =>
        Option.map(Option.fromNullable(rows[0]), (r) => ({
          id: tenantId,
          name: r.name,
          dailyCap: r.daily_cap,
          timeZone: r.time_zone,
          disabled: r.disabled
        }))
      )
    )
  ),
  odooConnection: run(
    "tenants.odooConnection",
    sql<{ active: boolean; url: string; database: string; login: string; secret_ref: string; create_leads: boolean }>`
      SELECT active, url, database, login, secret_ref, create_leads FROM odoo_connections
      WHERE tenant_id = ${tenantId}`.pipe(
      Effect.map((rows) =>
        Option.map(Option.fromNullable(rows[0]), (r) => ({
          active: r.active,
          url: r.url,
          database: r.database,
          login: r.login,
          secretRef: r.secret_ref,
          createLeads: r.create_leads
        }))
      )
    )
  )
})

/**
 * The statement of target selection; its ORDER BY is the column order of
 * `company_targets_order_idx`, so the LIMIT is served by the index (each
 * selected row then joins its company by primary key). `start` and `end`
 * are the run day's `RunDay.bounds`.
 *
 * @internal
 */
export const targetsStatement = (
  sql: SqlClient.SqlClient,
  tenantId: Tenant.TenantId,
  options: Company.SelectOptions,
  { end, start }: RunDay.Bounds
) => {
  const notToday = options.rerun === true
    ? sql.literal("true")
    : sql`(t.last_enriched_at IS NULL OR t.last_enriched_at < ${start} OR t.last_enriched_at >= ${end})`
  return sql`SELECT ${sql.literal(companyColumns)}
    FROM company_targets t JOIN companies c ON c.tenant_id = t.tenant_id AND c.id = t.company_id
    WHERE t.tenant_id = ${tenantId} AND ${notToday}
    ORDER BY t.has_features, t.has_contacts, t.last_enriched_at NULLS FIRST, t.company_id
    LIMIT ${options.cap}`
}

/**
 * Where a page of the score export resumes: after this score and company.
 *
 * @internal
 */
export type ExportKey = readonly [score: number, companyId: string]

/**
 * The score export, best first, read in order from `lead_scores_score_idx`
 * (tenant, score desc, company desc): the whole export as one statement (to
 * stream through a cursor), or, given `page`, one keyset page resuming
 * strictly after `page.after`.
 *
 * A page takes its rows from `lead_scores` alone, then looks each company
 * up by primary key (a `LATERAL` subquery the planner cannot merge into a
 * join). Its plan and memory then stay bounded by the page without table
 * statistics: PGlite has no autovacuum, and on unanalysed tables a plain
 * join was planned as a hash of every company of the tenant, sorted and
 * spilled, once per page.
 *
 * @internal
 */
export const exportStatement = (
  sql: SqlClient.SqlClient,
  tenantId: Tenant.TenantId,
  minScore: number,
  page?: { readonly after: ExportKey | undefined; readonly limit: number }
) => {
  const columns = sql.literal(`s.company_id AS "companyId", c.name, c.domain, c.website, s.score, s.bucket,
      s.rationale, s.scored_at AS "scoredAt"`)
  if (page === undefined) {
    return sql<Score.ScoredLead>`SELECT ${columns}
      FROM lead_scores s JOIN companies c ON c.tenant_id = s.tenant_id AND c.id = s.company_id
      WHERE s.tenant_id = ${tenantId} AND s.score >= ${minScore}
      ORDER BY s.score DESC NULLS LAST, s.company_id DESC`
  }
  const after = page.after === undefined
    ? sql.literal("")
    : sql` AND (k.score, k.company_id) < (${page.after[0]}::float8, ${page.after[1]}::uuid)`
  return sql<Score.ScoredLead>`SELECT ${columns}
    FROM (SELECT k.tenant_id, k.company_id, k.score, k.bucket, k.rationale, k.scored_at FROM lead_scores k
      WHERE k.tenant_id = ${tenantId} AND k.score >= ${minScore}${after}
      ORDER BY k.score DESC NULLS LAST, k.company_id DESC LIMIT ${page.limit}) s
    CROSS JOIN LATERAL (SELECT c.name, c.domain, c.website FROM companies c
      WHERE c.tenant_id = s.tenant_id AND c.id = s.company_id LIMIT 1) c
    ORDER BY s.score DESC NULLS LAST, s.company_id DESC`
}

const invalidDay = "runDay must be a YYYY-MM-DD date in an IANA time zone"

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
          RETURNING tenant_id, id
        ), targets AS (
          -- a new company's selection state; a changed one keeps its own
          INSERT INTO company_targets (tenant_id, company_id) SELECT tenant_id, id FROM w
          ON CONFLICT (tenant_id, company_id) DO NOTHING
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))
    ),
  importMany: (rows) =>
    run(
      "companies.importMany",
      Effect.reduce(
        Arr.chunksOf(lastByKey(rows, (r) => r.company.domain), batchSize),
        { added: 0, updated: 0, unchanged: 0 },
        (total, chunk) =>
          sql<{ added: number; updated: number }>`WITH input AS (
            SELECT * FROM unnest(${column(chunk, (r) => r.company.name)}::text[],
              ${column(chunk, (r) => r.company.domain)}::text[], ${column(chunk, (r) => r.company.website)}::text[],
              ${column(chunk, (r) => r.company.industry)}::text[], ${column(chunk, (r) => r.company.ssicCode)}::text[],
              ${column(chunk, (r) => r.company.country)}::text[], ${column(chunk, (r) => r.company.employeeRange)}::text[],
              ${column(chunk, (r) => JSON.stringify(r.attributes))}::text[])
              AS t(name, domain, website, industry, ssic_code, country, employee_range, attributes)
          ), w AS (
            INSERT INTO companies AS c (tenant_id, name, domain, website, industry, ssic_code, country, employee_range,
              attributes)
            SELECT ${tenantId}, name, domain, website, industry, ssic_code, country, employee_range, attributes::jsonb
            FROM input
            ON CONFLICT (tenant_id, domain) DO UPDATE SET
              name = excluded.name, website = coalesce(excluded.website, c.website),
              industry = coalesce(excluded.industry, c.industry), ssic_code = coalesce(excluded.ssic_code, c.ssic_code),
              country = coalesce(excluded.country, c.country),
              employee_range = coalesce(excluded.employee_range, c.employee_range),
              attributes = c.attributes || excluded.attributes, updated_at = now()
            WHERE (c.name, c.website, c.industry, c.ssic_code, c.country, c.employee_range, c.attributes)
              IS DISTINCT FROM (excluded.name, coalesce(excluded.website, c.website),
                coalesce(excluded.industry, c.industry), coalesce(excluded.ssic_code, c.ssic_code),
                coalesce(excluded.country, c.country), coalesce(excluded.employee_range, c.employee_range),
                c.attributes || excluded.attributes)
            RETURNING c.tenant_id, c.id, (xmax = 0) AS added
          ), targets AS (
            INSERT INTO company_targets (tenant_id, company_id) SELECT tenant_id, id FROM w WHERE added
            ON CONFLICT (tenant_id, company_id) DO NOTHING
          ) SELECT (count(*) FILTER (WHERE added))::int AS added, (count(*) FILTER (WHERE NOT added))::int AS updated
          FROM w`.pipe(Effect.map(([r]) => ({
            added: total.added + (r?.added ?? 0),
            updated: total.updated + (r?.updated ?? 0),
            unchanged: total.unchanged + chunk.length - (r?.added ?? 0) - (r?.updated ?? 0)
          })))
      )
    ),
  findByDomains: (domains) =>
    run(
      "companies.findByDomains",
      sql`SELECT ${sql.literal(companyColumns)}
        FROM companies c LEFT JOIN company_targets t ON t.tenant_id = c.tenant_id AND t.company_id = c.id
        WHERE c.tenant_id = ${tenantId} AND c.domain = ANY(${domains as ReadonlyArray<string>}::text[])
        ORDER BY c.domain`.pipe(Effect.flatMap(decodeCompanies))
    ),
  findByIds: (ids) =>
    run(
      "companies.findByIds",
      sql`SELECT ${sql.literal(companyColumns)}
        FROM companies c LEFT JOIN company_targets t ON t.tenant_id = c.tenant_id AND t.company_id = c.id
        WHERE c.tenant_id = ${tenantId} AND c.id = ANY(${ids as ReadonlyArray<string>}::uuid[])`.pipe(
        Effect.flatMap(decodeCompanies),
        Effect.map((found) => {
          const byId = new Map(found.map((c) => [c.id, c]))
          return ids.flatMap((id) => {
            const c = byId.get(id)
            return c === undefined ? [] : [c]
          })
        })
      )
    ),
  enrichedOn: (runDay) => {
    const range = Option.getOrUndefined(RunDay.bounds(runDay))
    if (range === undefined) {
      return Effect.fail(
        new Store.StoreError({ reason: "Invalid", operation: "companies.enrichedOn", detail: invalidDay })
      )
    }
    return run(
      "companies.enrichedOn",
      sql<{ n: number }>`SELECT count(*)::int AS n FROM company_targets
        WHERE tenant_id = ${tenantId} AND last_enriched_at >= ${range.start} AND last_enriched_at < ${range.end}`
        .pipe(Effect.map((rows) => rows[0]?.n ?? 0))
    )
  },
  recentlyEnriched: (limit) =>
    run(
      "companies.recentlyEnriched",
      sql`SELECT ${sql.literal(companyColumns)}
        FROM company_targets t JOIN companies c ON c.tenant_id = t.tenant_id AND c.id = t.company_id
        WHERE t.tenant_id = ${tenantId} AND t.last_enriched_at IS NOT NULL
        ORDER BY t.last_enriched_at DESC, t.company_id LIMIT ${Math.max(0, Math.floor(limit))}`
        .pipe(Effect.flatMap(decodeCompanies))
    ),
  selectTargets: (options) => {
    const range = Option.getOrUndefined(RunDay.bounds(options.runDay))
    if (range === undefined || !Number.isInteger(options.cap) || options.cap < 0) {
      return Effect.fail(
        new Store.StoreError({
          reason: "Invalid",
          operation: "companies.selectTargets",
          detail: `${invalidDay} and cap a non-negative integer`
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
  // the registry function of the owner: the runtime role reads no other tenant's row
  return sql<Tenant.Tenant>`SELECT t.id, t.name, t.daily_cap AS "dailyCap", t.time_zone AS "timeZone",
      false AS disabled FROM leadgraph_active_tenants() t
    WHERE (cardinality(${include}::text[]) = 0 OR t.id = ANY(${include}::text[]))
      AND NOT (t.id = ANY(${exclude}::text[]))
    ORDER BY t.id`
}

/**
 * Every tenant with its status, Odoo connection and number of companies,
 * through the owner's registry function.
 *
 * @internal
 */
export const listTenants = ({ sql }: Pick<Context, "sql">) =>
  sql<Tenant.TenantSummary>`SELECT t.id, t.name, t.daily_cap AS "dailyCap", t.time_zone AS "timeZone",
      t.disabled, t.odoo_connected AS "odooConnected", t.companies FROM leadgraph_list_tenants() t
    ORDER BY t.id`
