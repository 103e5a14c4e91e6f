/**
 * The store port: tenant-scoped repositories over the lead data. Every
 * tenant-scoped call runs in a transaction bound to one tenant (in Postgres,
 * under row-level security); there is no handle that skips that scope.
 *
 * - {@link Service.forTenant} gives repositories whose every call is its own
 *   transaction.
 * - {@link Service.withTenant} runs a whole effect in one transaction: all
 *   its repository calls commit or roll back together.
 *
 * The Postgres implementation lives in `@leadgraph/adapters` (`StoreLive`);
 * {@link layerMemory} keeps everything in memory.
 *
 * @since 0.1.0
 */
import { Context, Layer, Schema } from "effect"
import type { Effect, Option, Scope, Stream } from "effect"
import type { Company, CompanyId, CompanyInput, Domain, SelectOptions } from "./Company.js"
import type { Contact, ContactInput } from "./Contact.js"
import type { LeadFeatures } from "./Features.js"
import type { IcpRule, RulesVersion } from "./IcpRule.js"
import type { LeadEmail } from "./LeadEmail.js"
import type { CompanyOutcome, Run, RunId, RunManifest, RunSummary } from "./Run.js"
import type { RunDay } from "./RunDay.js"
import type { LeadScore, ScoredLead } from "./Score.js"
import type { OdooConnection, Tenant, TenantFilter, TenantId, TenantSummary } from "./Tenant.js"
import * as Memory from "./internal/storeMemory.js"

/**
 * The one error of the store. `reason`:
 * - `Unavailable`: the database cannot be reached (retryable);
 * - `Conflict`: a serialization failure or deadlock (retryable);
 * - `Constraint`: a row breaks a key, foreign key or check;
 * - `Forbidden`: row-level security refused a row (another tenant's);
 * - `Unsafe`: the store refuses to run tenant work as a role that could
 *   bypass row-level security;
 * - `Invalid`: bad input or a row that does not decode;
 * - `Query`: any other database error.
 *
 * `detail` is a short, secret-free description.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  reason: Schema.Literal("Unavailable", "Conflict", "Constraint", "Forbidden", "Unsafe", "Invalid", "Query"),
  operation: Schema.String,
  detail: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect)
}) {
  /** Lost connections and serialization conflicts are worth retrying. */
  get retryable(): boolean {
    return this.reason === "Unavailable" || this.reason === "Conflict"
  }

  override get message(): string {
    return `store ${this.operation}: ${this.reason}${this.detail ? ` (${this.detail})` : ""}`
  }
}

/**
 * How many rows a batched upsert inserted or changed: 0 when the same batch
 * is written twice.
 *
 * @since 0.1.0
 * @category models
 */
export interface Written {
  readonly written: number
}

/**
 * One company of an import: what it says of the company, and its other
 * columns (`attributes`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ImportRow {
  readonly company: CompanyInput
  readonly attributes: Readonly<Record<string, string>>
}

/**
 * What {@link Companies.importMany} did: companies added, updated, and left
 * unchanged.
 *
 * @since 0.1.0
 * @category models
 */
export interface Imported {
  readonly added: number
  readonly updated: number
  readonly unchanged: number
}

/**
 * What {@link Tenants.save} writes: the name and, optionally, the tenant's
 * daily cap (see `Tenant.dailyCap`), time zone (`Tenant.timeZone`) and
 * whether it is disabled. A field left `undefined` keeps the stored value
 * (`null`, `null` and `false` for a new tenant); `null` clears a cap or a
 * zone.
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantInput {
  readonly name: string
  readonly dailyCap?: number | null | undefined
  readonly timeZone?: string | null | undefined
  readonly disabled?: boolean | undefined
}

/**
 * A tenant's Odoo connection as saved. `createLeads` left out keeps the
 * stored setting; a new connection starts with `true`.
 *
 * @since 0.1.0
 * @category models
 */
export interface OdooConnectionInput extends Omit<OdooConnection, "createLeads"> {
  readonly createLeads?: boolean | undefined
}

/**
 * The tenant row itself and its Odoo connection. `save` fails with `Invalid`
 * when `dailyCap` is not a non-negative integer (or `null`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Tenants {
  readonly save: (tenant: TenantInput) => Effect.Effect<void, StoreError>
  /** The tenant's row, if it exists. */
  readonly get: Effect.Effect<Option.Option<Tenant>, StoreError>
  /** Creates or replaces the tenant's Odoo connection (an undefined `createLeads` keeps the stored one). */
  readonly saveOdooConnection: (connection: OdooConnectionInput) => Effect.Effect<void, StoreError>
  /** The tenant's Odoo connection (active or not), if it has one. */
  readonly odooConnection: Effect.Effect<Option.Option<OdooConnection>, StoreError>
}

/**
 * Companies: batched upsert keyed by domain, lookup, and target selection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Companies {
  readonly upsert: (companies: ReadonlyArray<CompanyInput>) => Effect.Effect<Written, StoreError>
  /**
   * Imports companies from an operator's file (domains distinct within a
   * call): a new domain is added; for a known one the name and the fields a
   * row gives are written, fields it leaves empty keep what is stored, and
   * its attributes are merged into the stored ones. Says how many were
   * added, updated and left unchanged, so importing the same rows twice
   * changes nothing.
   */
  readonly importMany: (rows: ReadonlyArray<ImportRow>) => Effect.Effect<Imported, StoreError>
  readonly findByDomains: (domains: ReadonlyArray<Domain>) => Effect.Effect<ReadonlyArray<Company>, StoreError>
  /** The companies with these ids, in the order of `ids` (unknown ids left out). */
  readonly findByIds: (ids: ReadonlyArray<CompanyId>) => Effect.Effect<ReadonlyArray<Company>, StoreError>
  /**
   * The companies that most need work first: missing features, then missing
   * contacts, then the oldest enrichment (never enriched first), then by id.
   * Skips companies enriched within `runDay` (its `RunDay.bounds`) unless
   * `rerun`; at most `cap`. Fails with `Invalid` for a malformed day or zone.
   */
  readonly selectTargets: (options: SelectOptions) => Effect.Effect<ReadonlyArray<Company>, StoreError>
  /**
   * How many companies were enriched within `runDay` (its `RunDay.bounds`:
   * the date in its zone, not a UTC day): what a daily cap has spent.
   * Fails with `Invalid` for a malformed day or zone.
   */
  readonly enrichedOn: (runDay: RunDay) => Effect.Effect<number, StoreError>
  /** The companies enriched most recently, newest first, at most `limit`. */
  readonly recentlyEnriched: (limit: number) => Effect.Effect<ReadonlyArray<Company>, StoreError>
}

/**
 * Contacts, emails, features and scores: batched, idempotent upserts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Leads {
  readonly upsertContacts: (contacts: ReadonlyArray<ContactInput>) => Effect.Effect<Written, StoreError>
  readonly upsertEmails: (emails: ReadonlyArray<LeadEmail>) => Effect.Effect<Written, StoreError>
  readonly upsertFeatures: (features: ReadonlyArray<LeadFeatures>) => Effect.Effect<Written, StoreError>
  readonly upsertScores: (scores: ReadonlyArray<LeadScore>) => Effect.Effect<Written, StoreError>
  readonly contactsOf: (companyId: CompanyId) => Effect.Effect<ReadonlyArray<Contact>, StoreError>
  readonly scoreOf: (companyId: CompanyId) => Effect.Effect<Option.Option<LeadScore>, StoreError>
  /** The latest scores of these companies (nothing for a company never scored). */
  readonly scoresOf: (companyIds: ReadonlyArray<CompanyId>) => Effect.Effect<ReadonlyArray<LeadScore>, StoreError>
  /** These companies' email addresses with their verification verdicts, by company and email. */
  readonly emailsOf: (companyIds: ReadonlyArray<CompanyId>) => Effect.Effect<ReadonlyArray<LeadEmail>, StoreError>
  /** The features last stored for these companies (nothing for a company never scored). */
  readonly featuresOf: (companyIds: ReadonlyArray<CompanyId>) => Effect.Effect<ReadonlyArray<LeadFeatures>, StoreError>
}

/**
 * What {@link IcpRules.replace} did: the active version's number, and
 * whether it is a new version (`false` when the rules equal the active
 * version's).
 *
 * @since 0.1.0
 * @category models
 */
export interface Replaced {
  readonly version: number
  readonly changed: boolean
}

/**
 * The tenant's ideal customer profile rules, keyed by name. `save` upserts
 * rules by name; `replace` makes a whole set the active one as a new
 * numbered version (1, 2, 3, ...), unless it equals the active version.
 *
 * @since 0.1.0
 * @category models
 */
export interface IcpRules {
  readonly save: (rules: ReadonlyArray<IcpRule>) => Effect.Effect<Written, StoreError>
  readonly listActive: Effect.Effect<ReadonlyArray<IcpRule>, StoreError>
  /** Makes `rules` (names distinct) the tenant's whole rule set, as a new version when they changed. */
  readonly replace: (rules: ReadonlyArray<IcpRule>) => Effect.Effect<Replaced, StoreError>
  /** A version of the rules (`undefined`: the latest, which is the active one), if there is one. */
  readonly version: (version?: number | undefined) => Effect.Effect<Option.Option<RulesVersion>, StoreError>
}

/**
 * Where a page of {@link Runs.list} starts: the runs at or after this one in
 * the list's order (newest `startedAt` first, then `runId` descending).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunPosition {
  readonly startedAt: Date
  readonly runId: RunId
}

/**
 * Enrichment runs: start with a manifest, record company outcomes (which
 * mark companies enriched), finish with a summary.
 *
 * @since 0.1.0
 * @category models
 */
export interface Runs {
  readonly create: (manifest: RunManifest, startedAt: Date) => Effect.Effect<void, StoreError>
  readonly recordOutcomes: (runId: RunId, outcomes: ReadonlyArray<CompanyOutcome>) => Effect.Effect<void, StoreError>
  readonly finish: (runId: RunId, summary: RunSummary) => Effect.Effect<void, StoreError>
  readonly get: (runId: RunId) => Effect.Effect<Option.Option<Run>, StoreError>
  /**
   * The tenant's runs, newest first (`startedAt` descending, then `runId`
   * descending), at most `limit`, starting at `from` (included) when given.
   */
  readonly list: (options: {
    readonly limit: number
    readonly from?: RunPosition | undefined
  }) => Effect.Effect<ReadonlyArray<Run>, StoreError>
  /** The run's company outcomes, in the order they finished (unknown run: none). */
  readonly outcomes: (runId: RunId) => Effect.Effect<ReadonlyArray<CompanyOutcome>, StoreError>
}

/**
 * The repositories of one tenant.
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantStore {
  readonly tenantId: TenantId
  readonly tenants: Tenants
  readonly companies: Companies
  readonly leads: Leads
  readonly icpRules: IcpRules
  readonly runs: Runs
  /**
   * The latest score of each company at or above `minScore`, best first,
   * streamed (never loaded whole). Outside {@link Service.withTenant} it
   * reads in a transaction of its own (in Postgres, one cursor held open
   * while the stream runs); inside, it joins that transaction. The consumer
   * may call the store while it streams.
   */
  readonly exportScores: (minScore: number) => Stream.Stream<ScoredLead, StoreError>
}

/**
 * The store service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * The active tenants (those not disabled, with or without an Odoo
   * connection), filtered by id lists, by id. Fails with `Forbidden` inside
   * {@link Service.withTenant}.
   */
  readonly listActiveTenants: (filter?: TenantFilter) => Effect.Effect<ReadonlyArray<Tenant>, StoreError>
  /**
   * Every tenant, disabled ones too, by id, with whether it has an active
   * Odoo connection and its number of companies. Fails with `Forbidden`
   * inside {@link Service.withTenant}.
   */
  readonly listTenants: Effect.Effect<ReadonlyArray<TenantSummary>, StoreError>
  /**
   * The ids of the tenants that have recorded runs, by id (a cross-tenant
   * read of ids only: read the runs through {@link Service.forTenant}).
   * Fails with `Forbidden` inside {@link Service.withTenant}.
   */
  readonly tenantsWithRuns: Effect.Effect<ReadonlyArray<TenantId>, StoreError>
  /** The tenant's repositories; each call runs in its own transaction. */
  readonly forTenant: (tenantId: TenantId) => TenantStore
  /**
   * Runs `f` in one transaction bound to the tenant: it commits when `f`
   * succeeds and rolls back when it fails. Nesting with another tenant fails
   * with `Forbidden`.
   */
  readonly withTenant: <A, E>(
    tenantId: TenantId,
    f: (store: TenantStore) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | StoreError>
  /**
   * Tries to take the tenant's run lock (one enrichment run per tenant at a
   * time): `true` when taken, held until the scope closes; `false` when
   * someone else holds it. In Postgres the lock is shared by every process
   * on the database and freed when its holder's connection closes (a holder
   * that dies releases it); in memory it covers this store only. Not
   * reentrant: a second try of a holder is `false` too.
   */
  readonly tryLockRun: (tenantId: TenantId) => Effect.Effect<boolean, StoreError, Scope.Scope>
  /**
   * Completes when the tenant's run lock this store holds is lost: in
   * Postgres, its connection dropped (Postgres restarted) and another
   * process took the lock before this store could take it again. Never
   * completes while the lock holds, when this store does not hold it, or in
   * memory. A run holding the lock races against it.
   */
  readonly runLockLost: (tenantId: TenantId) => Effect.Effect<void>
}

/**
 * The store port tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Store extends Context.Tag("@leadgraph/core/Store")<Store, Service>() {}

/**
 * Builds an in-memory store with the same contract as the Postgres one:
 * natural keys, idempotent upserts, target order, run records, tenant
 * isolation and all-or-nothing {@link Service.withTenant} (transactions are
 * serialised). Its state is owned by the returned service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Memory.make((reason, operation, detail) =>
  new StoreError({ reason, operation, detail })
)

/**
 * An in-memory store (a fresh one per build), for tests and examples.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (): Layer.Layer<Store> => Layer.effect(Store, makeMemory)
