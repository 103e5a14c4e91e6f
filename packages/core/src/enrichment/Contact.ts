/**
 * Contacts: people at a company, keyed by tenant and email.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CompanyId } from "./Company.js"
import { TenantId } from "./Tenant.js"

/**
 * An email address, lower case (the natural key of contacts and lead emails).
 *
 * @since 0.1.0
 * @category models
 */
export const Email = Schema.String.pipe(
  Schema.lowercased(),
  Schema.pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/),
  Schema.maxLength(320),
  Schema.brand("Email")
)

/**
 * @since 0.1.0
 * @category models
 */
export type Email = typeof Email.Type

/**
 * A contact's id (a UUID assigned by the store).
 *
 * @since 0.1.0
 * @category models
 */
export const ContactId = Schema.UUID.pipe(Schema.brand("ContactId"))

/**
 * @since 0.1.0
 * @category models
 */
export type ContactId = typeof ContactId.Type

const optionalText = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/**
 * A contact to upsert (keyed by tenant and email).
 *
 * @since 0.1.0
 * @category models
 */
export const ContactInput = Schema.Struct({
  companyId: CompanyId,
  email: Email,
  fullName: Schema.NonEmptyTrimmedString,
  title: optionalText,
  phone: optionalText,
  linkedinUrl: optionalText,
  source: Schema.NonEmptyTrimmedString
})

/**
 * @since 0.1.0
 * @category models
 */
export type ContactInput = typeof ContactInput.Type

/**
 * A stored contact.
 *
 * @since 0.1.0
 * @category models
 */
export const Contact = Schema.Struct({
  id: ContactId,
  tenantId: TenantId,
  companyId: CompanyId,
  email: Email,
  fullName: Schema.String,
  title: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  linkedinUrl: Schema.NullOr(Schema.String),
  source: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type Contact = typeof Contact.Type
