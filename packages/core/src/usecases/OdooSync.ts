/**
 * The Odoo sync of `POST /export/odoo/sync`: every lead of the tenant at or
 * above the threshold goes to the tenant's Odoo as the pipeline's export
 * step would send it, built from what the store holds (the score and its
 * rationale, the contacts, the email verdicts), through the same gate: only
 * contacts whose email was verified `valid` (`Pipeline.verifiedContacts`).
 * Odoo's upserts are idempotent, so a second sync of unchanged data reports
 * every lead unchanged.
 *
 * @since 0.1.0
 */
import * as Odoo from "../enrichment/Odoo.js"
import * as Pipeline from "../enrichment/Pipeline.js"
import type * as LeadEmail from "../enrichment/LeadEmail.js"
import type * as Score from "../enrichment/Score.js"
import type * as Store from "../enrichment/Store.js"
import type { ConfigError } from "effect"
import { Effect, Either, Layer, Option, Schema, Stream } from "effect"
import * as OdooConnector from "./OdooConnector.js"

/**
 * What `POST /export/odoo/sync` did: qualifying leads, and per lead whether
 * anything in Odoo was created, only updated, or left unchanged (`failed`
 * leads gave an error; a later sync retries them).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SyncResult = Schema.Struct({
  leads: Schema.NonNegativeInt,
  created: Schema.NonNegativeInt,
  updated: Schema.NonNegativeInt,
  unchanged: Schema.NonNegativeInt,
  failed: Schema.NonNegativeInt,
  minScore: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export type SyncResult = typeof SyncResult.Type

/**
 * How a lead's export came out: `created` when its company or lead was
 * created in Odoo, `updated` when anything was written, else `unchanged`.
 *
 * @since 0.1.0
 * @category models
 */
export type LeadOutcome = "created" | "updated" | "unchanged" | "failed"

const decodeExport = Schema.decodeUnknownEither(Odoo.Export)

/**
 * The Odoo export of one stored lead, or a reason it cannot be built.
 *
 * @since 0.1.0
 * @category building
 */
export const exportOf = (
  lead: Score.ScoredLead,
  contacts: ReadonlyArray<{
    readonly email: string
    readonly fullName: string
    readonly title: string | null
    readonly phone: string | null
    readonly linkedinUrl: string | null
    readonly source: string
  }>,
  emails: ReadonlyArray<LeadEmail.LeadEmail>,
  /** Whether the export creates (or updates) the lead too, as the tenant's connection says (default true). */
  createLeads = true
): Either.Either<Odoo.Export, string> => {
  const checked = emails.flatMap((e) =>
    e.status === null ? [] : [{
      email: e.email,
      source: e.source === "lusha" ? "lusha" as const : "crawl" as const,
      status: e.status,
      subStatus: e.subStatus ?? "",
      cached: false
    }]
  )
  const people = Pipeline.verifiedContacts(contacts, checked)
  const siteEmail = emails.find((e) => e.source !== "lusha" && e.status === "valid")?.email
  return decodeExport({
    company: {
      domain: lead.domain,
      name: lead.name.trim(),
      website: lead.website ?? `https://${lead.domain}`,
      ...(siteEmail === undefined ? {} : { email: siteEmail })
    },
    contacts: people.map((p) => ({
      email: p.email,
      name: p.name,
      ...(p.jobTitle === undefined ? {} : { jobTitle: p.jobTitle }),
      ...(p.phone === undefined ? {} : { phone: p.phone })
    })),
    ...(createLeads
      ? {
        lead: {
          name: `${lead.name.trim()} (leadgraph)`,
          probability: lead.score,
          ...(lead.rationale === null ? {} : { description: lead.rationale })
        }
      }
      : {})
  }).pipe(Either.mapLeft(() => `lead ${lead.domain} does not make a valid Odoo export`))
}

/**
 * What an export did to Odoo, summed up.
 *
 * @since 0.1.0
 * @category building
 */
export const outcomeOf = (done: Odoo.Exported): LeadOutcome => {
  const all = [done.company.outcome, ...done.contacts.map((c) => c.result.outcome), done.lead?.outcome ?? "unchanged"]
  if (done.company.outcome === "created" || done.lead?.outcome === "created") return "created"
  return all.some((o) => o !== "unchanged") ? "updated" : "unchanged"
}

/**
 * Exports the tenant's qualifying leads, one after the other, and counts the
 * outcomes. A lead that fails (an Odoo error, or data Odoo cannot take) is
 * counted as failed and logged; the others still go.
 *
 * @since 0.1.0
 * @category running
 */
export const sync = (
  store: Store.TenantStore,
  odoo: Odoo.Service,
  minScore: number,
  createLeads = true
): Effect.Effect<SyncResult, Store.StoreError> =>
  store.exportScores(minScore).pipe(
    Stream.mapEffect((lead) =>
      Effect.gen(function*() {
        const [contacts, emails] = yield* Effect.all([
          store.leads.contactsOf(lead.companyId),
          store.leads.emailsOf([lead.companyId])
        ])
        const input = exportOf(lead, contacts, emails, createLeads)
        if (Either.isLeft(input)) {
          yield* Effect.logWarning(input.left)
          return "failed" as LeadOutcome
        }
        return yield* odoo.exportCompany(input.right).pipe(
          Effect.map(outcomeOf),
          Effect.catchAll((e) => Effect.as(Effect.logWarning(`Odoo export of ${lead.domain} failed: ${e.message}`), "failed" as const))
        )
      })
    ),
    Stream.runFold(
      { leads: 0, created: 0, updated: 0, unchanged: 0, failed: 0, minScore },
      (acc, outcome) => ({ ...acc, leads: acc.leads + 1, [outcome]: acc[outcome] + 1 })
    ),
    Effect.withSpan("OdooSync.sync", { attributes: { tenant: store.tenantId } })
  )

/**
 * The tenant has no active Odoo connection: there is nowhere to sync to.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoConnection extends Schema.TaggedError<NoConnection>()("NoConnection", { tenantId: Schema.String }) {
  override get message(): string {
    return "the tenant has no active Odoo connection"
  }
}

/**
 * {@link sync} through the tenant's own Odoo: its stored connection, which
 * must be active ({@link NoConnection} otherwise), reached with the
 * `OdooConnector` in context (a `ConfigError` when the connection's secret
 * is not configured), creating leads as the connection says.
 *
 * @since 0.1.0
 * @category running
 */
export const syncTenant = (
  store: Store.TenantStore,
  minScore: number
): Effect.Effect<
  SyncResult,
  Store.StoreError | NoConnection | ConfigError.ConfigError,
  OdooConnector.OdooConnector
> =>
  Effect.gen(function*() {
    const connection = yield* store.tenants.odooConnection
    if (Option.isNone(connection) || !connection.value.active) {
      return yield* new NoConnection({ tenantId: store.tenantId })
    }
    const connector = yield* OdooConnector.OdooConnector
    const context = yield* Layer.build(connector.connect(store.tenantId, connection.value))
    const odoo = yield* Effect.provide(Odoo.Odoo, context)
    return yield* sync(store, odoo, minScore, connection.value.createLeads)
  }).pipe(Effect.scoped)
