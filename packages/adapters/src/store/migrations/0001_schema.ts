/**
 * Migration 1: the tables, their keys, constraints and indexes.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const statements = [
  `CREATE TABLE IF NOT EXISTS tenants (
    id text PRIMARY KEY CHECK (id <> ''),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS tenant_users (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
  )`,
  `CREATE TABLE IF NOT EXISTS odoo_connections (
    tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    active boolean NOT NULL DEFAULT false,
    url text NOT NULL,
    database text NOT NULL,
    login text NOT NULL,
    secret_ref text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX IF NOT EXISTS odoo_connections_active_idx ON odoo_connections (tenant_id) WHERE active`,
  `CREATE TABLE IF NOT EXISTS onboarding_status (
    tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('pending', 'in_progress', 'done', 'failed')),
    detail text,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS ssic_ref (
    code text PRIMARY KEY,
    title text NOT NULL,
    description text
  )`,
  // keys lead with the tenant: every query is tenant-scoped, and one index
  // fewer per table makes batched writes cheaper
  `CREATE TABLE IF NOT EXISTS companies (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    domain text NOT NULL CHECK (domain = lower(domain) AND domain <> ''),
    website text,
    industry text,
    ssic_code text,
    country text,
    employee_range text,
    last_seen timestamptz,
    last_enriched_at timestamptz,
    has_features boolean NOT NULL DEFAULT false,
    has_contacts boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, domain)
  )`,
  // target selection: the ORDER BY of selectTargets, so a LIMIT reads the index
  `CREATE INDEX IF NOT EXISTS companies_targets_idx
    ON companies (tenant_id, has_features, has_contacts, last_enriched_at NULLS FIRST, id)`,
  `CREATE INDEX IF NOT EXISTS companies_last_seen_idx ON companies (tenant_id, last_seen DESC NULLS LAST)`,
  `CREATE TABLE IF NOT EXISTS contacts (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    company_id uuid NOT NULL,
    email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    full_name text NOT NULL,
    title text,
    phone text,
    linkedin_url text,
    source text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX IF NOT EXISTS contacts_company_id_idx ON contacts (company_id)`,
  `CREATE TABLE IF NOT EXISTS lead_emails (
    tenant_id text NOT NULL,
    email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    company_id uuid NOT NULL,
    contact_id uuid,
    source text NOT NULL,
    status text CHECK (status IN ('valid', 'invalid', 'catch-all', 'unknown', 'spamtrap', 'abuse', 'do_not_mail')),
    sub_status text,
    verified_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE SET NULL (contact_id)
  )`,
  `CREATE INDEX IF NOT EXISTS lead_emails_company_id_idx ON lead_emails (company_id)`,
  `CREATE TABLE IF NOT EXISTS lead_features (
    tenant_id text NOT NULL,
    company_id uuid NOT NULL,
    features jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, company_id),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE TABLE IF NOT EXISTS lead_scores (
    tenant_id text NOT NULL,
    company_id uuid NOT NULL,
    score double precision NOT NULL CHECK (score >= 0 AND score <= 100),
    bucket text NOT NULL CHECK (bucket IN ('high', 'medium', 'low')),
    rationale text,
    run_id text,
    scored_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, company_id),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
  )`,
  // the export: scores at or above a threshold, best first
  `CREATE INDEX IF NOT EXISTS lead_scores_score_idx ON lead_scores (tenant_id, score DESC NULLS LAST, company_id DESC)`,
  `CREATE TABLE IF NOT EXISTS icp_rules (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    criteria jsonb NOT NULL,
    weight double precision NOT NULL DEFAULT 1 CHECK (weight >= 0 AND weight <= 100),
    active boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
  )`,
  `CREATE TABLE IF NOT EXISTS enrichment_runs (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'cancelled')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    steps jsonb NOT NULL DEFAULT '{}',
    counts jsonb NOT NULL DEFAULT '{}',
    error_summary text,
    PRIMARY KEY (tenant_id, run_id),
    CHECK (finished_at IS NULL OR finished_at >= started_at)
  )`,
  `CREATE TABLE IF NOT EXISTS run_manifests (
    tenant_id text NOT NULL,
    run_id text NOT NULL,
    run_day date NOT NULL,
    rerun boolean NOT NULL,
    cap integer NOT NULL CHECK (cap >= 0),
    company_ids uuid[] NOT NULL,
    caps jsonb NOT NULL,
    PRIMARY KEY (tenant_id, run_id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES enrichment_runs (tenant_id, run_id) ON DELETE CASCADE
  )`,
  `CREATE TABLE IF NOT EXISTS company_enrichment_runs (
    tenant_id text NOT NULL,
    run_id text NOT NULL,
    company_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('succeeded', 'partial', 'failed', 'skipped')),
    steps jsonb NOT NULL,
    finished_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, run_id, company_id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES enrichment_runs (tenant_id, run_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE TABLE IF NOT EXISTS email_verification_cache (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email)),
    verdict jsonb NOT NULL,
    stored_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, email)
  )`,
  `CREATE TABLE IF NOT EXISTS staging_companies (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    batch_id text NOT NULL,
    row_no integer NOT NULL CHECK (row_no >= 0),
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'imported', 'rejected')),
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, batch_id, row_no)
  )`,
  `CREATE TABLE IF NOT EXISTS step_checkpoints (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id text NOT NULL,
    target_id text NOT NULL,
    step text NOT NULL,
    value jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, run_id, target_id, step)
  )`,
  `CREATE TABLE IF NOT EXISTS step_cache (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    step text NOT NULL,
    cache_key text NOT NULL,
    value jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, step, cache_key)
  )`,
  `CREATE TABLE IF NOT EXISTS budget_ledger (
    tenant_id text NOT NULL CHECK (tenant_id <> ''),
    budget text NOT NULL,
    day date NOT NULL,
    cap double precision CHECK (cap IS NULL OR cap >= 0),
    reserved double precision NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    committed double precision NOT NULL DEFAULT 0 CHECK (committed >= 0),
    PRIMARY KEY (tenant_id, budget, day)
  )`,
  `CREATE TABLE IF NOT EXISTS budget_reservations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    budget text NOT NULL,
    day date NOT NULL,
    units double precision NOT NULL CHECK (units >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, budget, day) REFERENCES budget_ledger (tenant_id, budget, day) ON DELETE CASCADE
  )`
]

/** @internal */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  for (const statement of statements) yield* sql.unsafe(statement)
})
