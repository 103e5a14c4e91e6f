/**
 * The Odoo port: idempotent export of a company, its contacts and an optional
 * lead to a tenant's Odoo CRM.
 *
 * - A company is a `res.partner` with `is_company = true`, found by a stable
 *   key: its domain (matched against the partner's `website`).
 * - Each contact is a child `res.partner` (`parent_id` = the company), found
 *   by email.
 * - The optional lead is a `crm.lead` found by `partner_id` = the company.
 *
 * Every upsert reads first and writes only the fields that differ, so
 * exporting the same data twice creates nothing and writes nothing; results
 * say `created`, `updated` or `unchanged`.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import { Domain } from "./Company.js"
import { Email } from "./Contact.js"
import * as VendorError from "./VendorError.js"

/**
 * The one error of the Odoo port, with the shared vendor reasons (see
 * {@link VendorError.Reason}). Odoo's JSON-RPC reports errors inside HTTP 200
 * answers; adapters map them to the same reasons: `AccessDenied`,
 * `AccessError` and `common.login` answering `false` are `Unauthorized`;
 * `ValidationError`, `UserError`, `MissingError` and bad arguments are
 * `BadRequest`; other server exceptions are `ServerError`. `detail` is
 * secret-free (for example Odoo's exception name and message).
 *
 * @since 0.1.0
 * @category errors
 */
export class OdooError extends Schema.TaggedError<OdooError>()("OdooError", VendorError.fields) {
  /** Rate limits, server errors, time-outs and transport failures are worth retrying. */
  get retryable(): boolean {
    return VendorError.isRetryableReason(this.reason)
  }

  override get message(): string {
    return VendorError.message("Odoo", this)
  }
}

/**
 * A company to export. `domain` is the stable key (a `Company.Domain`:
 * lower case, no scheme, no `www.`); the partner's `website` is written as
 * `https://<domain>` unless `website` is given.
 *
 * @since 0.1.0
 * @category models
 */
export class Company extends Schema.Class<Company>("@leadgraph/core/Odoo/Company")({
  domain: Domain,
  name: Schema.NonEmptyTrimmedString,
  website: Schema.optional(Schema.String),
  email: Schema.optional(Schema.String),
  phone: Schema.optional(Schema.String),
  city: Schema.optional(Schema.String)
}) {}

/**
 * A contact to export as a child partner of its company, keyed by email (a
 * `Contact.Email`, lower case; Odoo's copy is matched case-insensitively).
 *
 * @since 0.1.0
 * @category models
 */
export class Contact extends Schema.Class<Contact>("@leadgraph/core/Odoo/Contact")({
  email: Email,
  name: Schema.NonEmptyTrimmedString,
  jobTitle: Schema.optional(Schema.String),
  phone: Schema.optional(Schema.String)
}) {}

/**
 * A lead to keep as the company's one `crm.lead`. `probability` is 0 to 100;
 * `description` is plain text (written as HTML notes).
 *
 * @since 0.1.0
 * @category models
 */
export class Lead extends Schema.Class<Lead>("@leadgraph/core/Odoo/Lead")({
  name: Schema.NonEmptyTrimmedString,
  probability: Schema.optional(Schema.Number.pipe(Schema.between(0, 100))),
  expectedRevenue: Schema.optional(Schema.NonNegative),
  description: Schema.optional(Schema.String)
}) {}

/**
 * What an upsert did.
 *
 * @since 0.1.0
 * @category models
 */
export const Outcome = Schema.Literal("created", "updated", "unchanged")

/**
 * What an upsert did.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = typeof Outcome.Type

/**
 * The result of one upsert: the Odoo record id and what was done to it
 * (`fields` lists the fields written, empty when unchanged).
 *
 * @since 0.1.0
 * @category models
 */
export class Upserted extends Schema.Class<Upserted>("@leadgraph/core/Odoo/Upserted")({
  id: Schema.Int,
  outcome: Outcome,
  fields: Schema.Array(Schema.String)
}) {}

/**
 * One export: a company, its contacts and optionally its lead.
 *
 * @since 0.1.0
 * @category models
 */
export class Export extends Schema.Class<Export>("@leadgraph/core/Odoo/Export")({
  company: Company,
  contacts: Schema.Array(Contact),
  lead: Schema.optional(Lead)
}) {}

/**
 * The result of {@link Service.exportCompany}, checkpointable.
 *
 * @since 0.1.0
 * @category models
 */
export class Exported extends Schema.Class<Exported>("@leadgraph/core/Odoo/Exported")({
  company: Upserted,
  contacts: Schema.Array(Schema.Struct({ email: Schema.String, result: Upserted })),
  lead: Schema.optional(Upserted)
}) {}

/**
 * The Odoo service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Finds the company partner by domain, then creates it or writes what differs. */
  readonly upsertCompany: (company: Company) => Effect.Effect<Upserted, OdooError>
  /** Finds a child partner of `companyId` by email, then creates it or writes what differs. */
  readonly upsertContact: (companyId: number, contact: Contact) => Effect.Effect<Upserted, OdooError>
  /** Finds the `crm.lead` whose partner is `companyId`, then creates it or writes what differs. */
  readonly upsertLead: (companyId: number, company: Company, lead: Lead) => Effect.Effect<Upserted, OdooError>
  /**
   * Upserts the company, then its contacts and its lead, leaving the same
   * records and outcomes as the single upserts would; implementations may
   * batch the calls (one read for the company and its contacts, one create
   * for all new contacts).
   */
  readonly exportCompany: (input: Export) => Effect.Effect<Exported, OdooError>
}

/**
 * The Odoo port tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Odoo extends Context.Tag("@leadgraph/core/Odoo")<Odoo, Service>() {}

/**
 * Normalises a domain or URL to the stable company key: lower case, no
 * scheme, no `www.`, no path, no port.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeDomain = (input: string): string => {
  const s = input.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, "")
  const host = s.split(/[/?#]/, 1)[0] ?? ""
  return host.replace(/:\d+$/, "").replace(/^www\./, "").replace(/\.$/, "")
}
