/**
 * The leads repository (contacts, emails, features, scores).
 *
 * @internal
 */
import { Contact, Features, LeadEmail, Score } from "@leadgraph/core"
import type { Store } from "@leadgraph/core"
import { Effect, Option, Schema } from "effect"
import { batched, column, type Context, count, lastByKey } from "./shared.js"

const decodeContacts = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Contact.Contact)))
const decodeScores = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Score.LeadScore)))
const decodeEmails = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(LeadEmail.LeadEmail)))
const decodeFeatures = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(Features.LeadFeatures)))

/** @internal */
export const leads = ({ run, sql, tenantId }: Context): Store.Leads => ({
  upsertContacts: (inputs) =>
    run(
      "leads.upsertContacts",
      batched(lastByKey(inputs, (c) => c.email), (chunk) =>
        sql<{ n: number }>`WITH w AS (
          INSERT INTO contacts (tenant_id, company_id, email, full_name, title, phone, linkedin_url, source)
          SELECT ${tenantId}, * FROM unnest(${column(chunk, (c) => c.companyId)}::uuid[],
            ${column(chunk, (c) => c.email)}::text[], ${column(chunk, (c) => c.fullName)}::text[],
            ${column(chunk, (c) => c.title)}::text[], ${column(chunk, (c) => c.phone)}::text[],
            ${column(chunk, (c) => c.linkedinUrl)}::text[], ${column(chunk, (c) => c.source)}::text[])
          ON CONFLICT (tenant_id, email) DO UPDATE SET
            company_id = excluded.company_id, full_name = excluded.full_name, title = excluded.title,
            phone = excluded.phone, linkedin_url = excluded.linkedin_url, source = excluded.source,
            updated_at = now()
          WHERE (contacts.company_id, contacts.full_name, contacts.title, contacts.phone,
                 contacts.linkedin_url, contacts.source)
            IS DISTINCT FROM (excluded.company_id, excluded.full_name, excluded.title, excluded.phone,
                 excluded.linkedin_url, excluded.source)
          RETURNING company_id
        ), flagged AS (
          UPDATE company_targets SET has_contacts = true
          WHERE tenant_id = ${tenantId} AND NOT has_contacts AND company_id IN (SELECT company_id FROM w)
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))
    ),
  upsertEmails: (inputs) =>
    run(
      "leads.upsertEmails",
      batched(lastByKey(inputs, (e) => e.email), (chunk) =>
        sql<{ n: number }>`WITH w AS (
          INSERT INTO lead_emails (tenant_id, email, company_id, contact_id, source, status, sub_status, verified_at)
          SELECT ${tenantId}, * FROM unnest(${column(chunk, (e) => e.email)}::text[],
            ${column(chunk, (e) => e.companyId)}::uuid[], ${column(chunk, (e) => e.contactId)}::uuid[],
            ${column(chunk, (e) => e.source)}::text[], ${column(chunk, (e) => e.status)}::text[],
            ${column(chunk, (e) => e.subStatus)}::text[], ${column(chunk, (e) => e.verifiedAt)}::timestamptz[])
          ON CONFLICT (tenant_id, email) DO UPDATE SET
            company_id = excluded.company_id,
            contact_id = COALESCE(excluded.contact_id, lead_emails.contact_id),
            source = excluded.source,
            status = COALESCE(excluded.status, lead_emails.status),
            sub_status = CASE WHEN excluded.status IS NULL THEN lead_emails.sub_status ELSE excluded.sub_status END,
            verified_at = COALESCE(excluded.verified_at, lead_emails.verified_at),
            updated_at = now()
          WHERE (lead_emails.company_id, lead_emails.contact_id, lead_emails.source, lead_emails.status,
                 lead_emails.sub_status, lead_emails.verified_at)
            IS DISTINCT FROM (excluded.company_id, COALESCE(excluded.contact_id, lead_emails.contact_id),
                 excluded.source, COALESCE(excluded.status, lead_emails.status),
                 CASE WHEN excluded.status IS NULL THEN lead_emails.sub_status ELSE excluded.sub_status END,
                 COALESCE(excluded.verified_at, lead_emails.verified_at))
          RETURNING 1
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))
    ),
  upsertFeatures: (inputs) =>
    run(
      "leads.upsertFeatures",
      batched(lastByKey(inputs, (f) => f.companyId), (chunk) =>
        sql<{ n: number }>`WITH w AS (
          INSERT INTO lead_features (tenant_id, company_id, features)
          SELECT ${tenantId}, * FROM unnest(${column(chunk, (f) => f.companyId)}::uuid[],
            ${column(chunk, (f) => JSON.stringify(f.features))}::jsonb[])
          ON CONFLICT (tenant_id, company_id) DO UPDATE SET features = excluded.features, updated_at = now()
          WHERE lead_features.features IS DISTINCT FROM excluded.features
          RETURNING company_id
        ), flagged AS (
          UPDATE company_targets SET has_features = true
          WHERE tenant_id = ${tenantId} AND NOT has_features AND company_id IN (SELECT company_id FROM w)
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))
    ),
  upsertScores: (inputs) =>
    run(
      "leads.upsertScores",
      batched(lastByKey(inputs, (s) => s.companyId), (chunk) =>
        sql<{ n: number }>`WITH w AS (
          INSERT INTO lead_scores (tenant_id, company_id, score, bucket, rationale, run_id, scored_at)
          SELECT ${tenantId}, * FROM unnest(${column(chunk, (x) => x.companyId)}::uuid[],
            ${column(chunk, (x) => x.score)}::float8[], ${column(chunk, (x) => x.bucket)}::text[],
            ${column(chunk, (x) => x.rationale)}::text[], ${column(chunk, (x) => x.runId)}::text[],
            ${column(chunk, (x) => x.scoredAt)}::timestamptz[])
          ON CONFLICT (tenant_id, company_id) DO UPDATE SET
            score = excluded.score, bucket = excluded.bucket, rationale = excluded.rationale,
            run_id = excluded.run_id, scored_at = excluded.scored_at
          WHERE excluded.scored_at >= lead_scores.scored_at
            AND (lead_scores.score, lead_scores.bucket, lead_scores.rationale, lead_scores.run_id,
                 lead_scores.scored_at)
            IS DISTINCT FROM (excluded.score, excluded.bucket, excluded.rationale, excluded.run_id,
                 excluded.scored_at)
          RETURNING 1
        ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))
    ),
  contactsOf: (companyId) =>
    run(
      "leads.contactsOf",
      sql`SELECT id, tenant_id AS "tenantId", company_id AS "companyId", email, full_name AS "fullName",
          title, phone, linkedin_url AS "linkedinUrl", source
        FROM contacts WHERE tenant_id = ${tenantId} AND company_id = ${companyId} ORDER BY email`
        .pipe(Effect.flatMap(decodeContacts))
    ),
  scoreOf: (companyId) =>
    run(
      "leads.scoreOf",
      sql`SELECT company_id AS "companyId", score, bucket, rationale, run_id AS "runId", scored_at AS "scoredAt"
        FROM lead_scores WHERE tenant_id = ${tenantId} AND company_id = ${companyId}`.pipe(
        Effect.flatMap(decodeScores),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )
    ),
  scoresOf: (companyIds) =>
    run(
      "leads.scoresOf",
      sql`SELECT company_id AS "companyId", score, bucket, rationale, run_id AS "runId", scored_at AS "scoredAt"
        FROM lead_scores WHERE tenant_id = ${tenantId} AND company_id = ANY(${companyIds}::uuid[])`.pipe(
        Effect.flatMap(decodeScores)
      )
    ),
  emailsOf: (companyIds) =>
    run(
      "leads.emailsOf",
      sql`SELECT email, company_id AS "companyId", contact_id AS "contactId", source, status,
          sub_status AS "subStatus", verified_at AS "verifiedAt"
        FROM lead_emails WHERE tenant_id = ${tenantId} AND company_id = ANY(${companyIds}::uuid[])
        ORDER BY company_id, email`
        .pipe(Effect.flatMap(decodeEmails))
    ),
  featuresOf: (companyIds) =>
    run(
      "leads.featuresOf",
      sql`SELECT company_id AS "companyId", features FROM lead_features
        WHERE tenant_id = ${tenantId} AND company_id = ANY(${companyIds}::uuid[]) ORDER BY company_id`
        .pipe(Effect.flatMap(decodeFeatures))
    )
})
