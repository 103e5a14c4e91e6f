/**
 * The Odoo port: idempotent export of a company, its contacts and an optional
 * lead to a tenant's Odoo CRM. Each record is found again by the key it was
 * created with, so retries, reruns and a company whose website moved never
 * make a second record:
 *
 * - A company is a `res.partner` keyed by its normalised domain
 *   (`Company.normalizeDomain`), stored in the partner's `ref` as
 *   `leadgraph:<domain>` ({@link partnerRef}). `ref` is Odoo's free
 *   "Reference" field; the `leadgraph:` namespace keeps the key apart from
 *   the tenant's own references. The website is data, not the key: it may be
 *   on any host. A company partner without that ref whose website's host is
 *   the domain (as exports before the ref found them) is adopted: the ref is
 *   written onto it, unless the tenant already uses its `ref` for something
 *   else (then the ref and the website are left alone, so the partner stays
 *   findable by its website).
 * - Each contact is a child `res.partner` (`parent_id` = the company), keyed
 *   by its email, lower-cased.
 * - The optional lead is the company's one `crm.lead`, keyed by
 *   `partner_id` = the company (archived leads included). `crm.lead` has no
 *   reference field, and its name is data the export updates.
 *
 * Every upsert reads first and writes only the fields that differ, so
 * exporting the same data twice creates nothing and writes nothing; results
 * say `created`, `updated` or `unchanged`.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import { Domain, normalizeDomain } from "./Company.js"
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
  /**
   * Rate limits, server errors, time-outs and transport failures are worth
   * retrying, unless the attempt may have been billed (see
   * `VendorError.isRetryable`).
   */
  get retryable(): boolean {
    return VendorError.isRetryable(this)
  }

  /** The stable failure code, e.g. `odoo.Unauthorized(401): ...` (see `VendorError.code`). */
  get code(): string {
    return VendorError.code("odoo", this)
  }

  override get message(): string {
    return VendorError.message("Odoo", this)
  }
}

/**
 * A company to export. `domain` is the stable key (a `Company.Domain`:
 * lower case, no scheme, no `www.`), kept in the partner's `ref` as
 * {@link partnerRef}; the partner's `website` is written as
 * `https://<domain>` unless `website` is given (any host: it is not the key).
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
 * One export: a company, its contacts and optionally its lead. Without a
 * `lead` the export neither reads nor writes `crm.lead` (a lead made by an
 * earlier export is left as it is), and `Exported.lead` is absent.
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
  /** Finds the company partner by its ref (or adopts an older one by website), then creates it or writes what differs. */
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
  /**
   * Logs in and reads the server's version (JSON-RPC `common.version`'s
   * `server_version`, for example `"17.0"`): how `odoo test` checks a
   * connection. Fails with `Unauthorized` when the login is refused.
   */
  readonly serverVersion: Effect.Effect<string, OdooError>
}

/**
 * The Odoo port tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Odoo extends Context.Tag("@leadgraph/core/Odoo")<Odoo, Service>() {}

/**
 * The namespace of the references leadgraph writes to a partner's `ref`.
 *
 * @since 0.1.0
 * @category utils
 */
export const refPrefix = "leadgraph:"

/**
 * The key of a company's partner, stored in its `ref`:
 * `leadgraph:<normalised domain>` (e.g. `leadgraph:acme.example`).
 *
 * @since 0.1.0
 * @category utils
 */
export const partnerRef = (domain: string): string => `${refPrefix}${normalizeDomain(domain)}`

/**
 * True when a stored `ref` is one leadgraph wrote (for whichever company),
 * false for the tenant's own references and for an unset `ref` (`false`).
 *
 * @since 0.1.0
 * @category utils
 */
export const isLeadgraphRef = (ref: unknown): boolean => typeof ref === "string" && ref.trim().startsWith(refPrefix)
