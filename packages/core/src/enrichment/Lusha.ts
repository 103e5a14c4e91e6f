/**
 * The Lusha port: the decision makers of a company (`findContacts`, Lusha's
 * prospecting search then enrich) and known people (`lookupPerson`, or
 * `lookupPeople` in bulk).
 * Lusha charges per contact it returns data for, so adapters reserve units of
 * the `"lusha.lookups"` budget (see {@link budget}) before each paid call and
 * commit only the contacts Lusha charged for; a miss costs nothing.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect, Option } from "effect"
import type { BudgetExhausted } from "../engine/Budget.js"
import * as VendorError from "./VendorError.js"

/**
 * The name of the budget Lusha lookups draw from (one unit per contact
 * enriched), capped by `LUSHA_MAX_CONTACT_LOOKUPS`.
 *
 * @since 0.1.0
 * @category constants
 */
export const budget = "lusha.lookups"

/**
 * The one error of the Lusha port. Lusha's 402 is `OutOfCredits`; 403
 * (account inactive, feature not in plan) is `Unauthorized`; 412 and 451 are
 * `BadRequest`; 499 is `Timeout`.
 *
 * @since 0.1.0
 * @category errors
 */
export class LushaError extends Schema.TaggedError<LushaError>()("LushaError", VendorError.fields) {
  /**
   * Rate limits, server errors, time-outs and transport failures are worth
   * retrying, unless the attempt may have been billed (see
   * `VendorError.isRetryable`).
   */
  get retryable(): boolean {
    return VendorError.isRetryable(this)
  }

  /** The stable failure code, e.g. `lusha.Unauthorized(401): ...` (see `VendorError.code`). */
  get code(): string {
    return VendorError.code("lusha", this)
  }

  override get message(): string {
    return VendorError.message("Lusha", this)
  }
}

/**
 * An email address Lusha holds for a contact; `confidence` is Lusha's grade
 * (`A+`, `A`, `B`...).
 *
 * @since 0.1.0
 * @category models
 */
export const ContactEmail = Schema.Struct({
  email: Schema.String,
  type: Schema.Literal("work", "private", "unknown"),
  confidence: Schema.optional(Schema.String)
})

/**
 * A phone number Lusha holds for a contact.
 *
 * @since 0.1.0
 * @category models
 */
export const ContactPhone = Schema.Struct({
  number: Schema.String,
  type: Schema.String,
  doNotCall: Schema.Boolean
})

/**
 * A contact as Lusha describes it.
 *
 * @since 0.1.0
 * @category models
 */
export class Contact extends Schema.Class<Contact>("@leadgraph/core/Lusha/Contact")({
  lushaId: Schema.String,
  fullName: Schema.String,
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  jobTitle: Schema.optional(Schema.String),
  seniority: Schema.optional(Schema.String),
  departments: Schema.Array(Schema.String),
  emails: Schema.Array(ContactEmail),
  phones: Schema.Array(ContactPhone),
  linkedinUrl: Schema.optional(Schema.String),
  companyName: Schema.optional(Schema.String),
  companyDomain: Schema.optional(Schema.String)
}) {}

/**
 * Who to look for at a company: its `domain`, at most `limit` contacts
 * (1-50, default 10), optionally narrowed to seniorities or departments
 * (Lusha's names, e.g. `"C-Level"`, `"Finance"`).
 *
 * @since 0.1.0
 * @category models
 */
export const ContactSearch = Schema.Struct({
  domain: Schema.NonEmptyTrimmedString,
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 50))),
  seniorities: Schema.optional(Schema.Array(Schema.String)),
  departments: Schema.optional(Schema.Array(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type ContactSearch = typeof ContactSearch.Type

/**
 * A known person: by `email`, by `linkedinUrl`, or by first and last name at
 * a company domain (Lusha's identifier rules).
 *
 * @since 0.1.0
 * @category models
 */
export const PersonQuery = Schema.Union(
  Schema.Struct({ email: Schema.NonEmptyTrimmedString }),
  Schema.Struct({ linkedinUrl: Schema.NonEmptyTrimmedString }),
  Schema.Struct({
    firstName: Schema.NonEmptyTrimmedString,
    lastName: Schema.NonEmptyTrimmedString,
    companyDomain: Schema.NonEmptyTrimmedString
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type PersonQuery = typeof PersonQuery.Type

/**
 * The Lusha service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Searches a company's contacts, then enriches them; one budget unit per contact enriched. */
  readonly findContacts: (search: ContactSearch) => Effect.Effect<ReadonlyArray<Contact>, LushaError | BudgetExhausted>
  /** Looks one person up; `None` when Lusha has no data (free). One budget unit, committed only when charged. */
  readonly lookupPerson: (query: PersonQuery) => Effect.Effect<Option.Option<Contact>, LushaError | BudgetExhausted>
  /**
   * Looks many people up (Lusha's bulk endpoint, up to 100 per call); one
   * answer per query, in order. Each call reserves one unit per query and
   * commits only the contacts Lusha charged for.
   */
  readonly lookupPeople: (
    queries: ReadonlyArray<PersonQuery>
  ) => Effect.Effect<ReadonlyArray<Option.Option<Contact>>, LushaError | BudgetExhausted>
}

/**
 * The Lusha service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Lusha extends Context.Tag("@leadgraph/core/Lusha")<Lusha, Service>() {}
