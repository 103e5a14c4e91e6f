/**
 * Lead emails: every address found for a company (from a contact, a crawl or
 * a guess) with its latest verification verdict, keyed by tenant and email.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CompanyId } from "./Company.js"
import { ContactId, Email } from "./Contact.js"

/**
 * A verification verdict (ZeroBounce's statuses).
 *
 * @since 0.1.0
 * @category models
 */
export const VerificationStatus = Schema.Literal(
  "valid",
  "invalid",
  "catch-all",
  "unknown",
  "spamtrap",
  "abuse",
  "do_not_mail"
)

/**
 * @since 0.1.0
 * @category models
 */
export type VerificationStatus = typeof VerificationStatus.Type

/**
 * A lead email to upsert. `status` and `verifiedAt` are null until verified.
 *
 * @since 0.1.0
 * @category models
 */
export const LeadEmail = Schema.Struct({
  email: Email,
  companyId: CompanyId,
  contactId: Schema.optionalWith(Schema.NullOr(ContactId), { default: () => null }),
  source: Schema.NonEmptyTrimmedString,
  status: Schema.optionalWith(Schema.NullOr(VerificationStatus), { default: () => null }),
  subStatus: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  verifiedAt: Schema.optionalWith(Schema.NullOr(Schema.DateFromSelf), { default: () => null })
})

/**
 * @since 0.1.0
 * @category models
 */
export type LeadEmail = typeof LeadEmail.Type
