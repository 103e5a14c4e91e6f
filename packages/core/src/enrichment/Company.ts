/**
 * Companies: the targets of enrichment, one row per tenant and domain.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { RunDay } from "./RunDay.js"
import { TenantId } from "./Tenant.js"

/**
 * A company's id (a UUID assigned by the store).
 *
 * @since 0.1.0
 * @category models
 */
export const CompanyId = Schema.UUID.pipe(Schema.brand("CompanyId"))

/**
 * @since 0.1.0
 * @category models
 */
export type CompanyId = typeof CompanyId.Type

/**
 * A company's domain, its natural key within a tenant: lower case, no
 * scheme, no path, no `www.`.
 *
 * @since 0.1.0
 * @category models
 */
export const Domain = Schema.String.pipe(
  Schema.lowercased(),
  Schema.pattern(/^(?!www\.)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/),
  Schema.maxLength(253),
  Schema.brand("Domain")
)

/**
 * @since 0.1.0
 * @category models
 */
export type Domain = typeof Domain.Type

const optionalText = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/**
 * What an import or an enrichment step knows about a company; the input of
 * the store's batched upsert (keyed by tenant and domain).
 *
 * @since 0.1.0
 * @category models
 */
export const CompanyInput = Schema.Struct({
  name: Schema.NonEmptyTrimmedString,
  domain: Domain,
  website: optionalText,
  industry: optionalText,
  ssicCode: optionalText,
  country: optionalText,
  employeeRange: optionalText,
  lastSeen: Schema.optionalWith(Schema.NullOr(Schema.DateFromSelf), { default: () => null })
})

/**
 * @since 0.1.0
 * @category models
 */
export type CompanyInput = typeof CompanyInput.Type

/**
 * A stored company. `lastEnrichedAt` is set when a run records a company
 * outcome; target selection skips companies already enriched that day.
 *
 * @since 0.1.0
 * @category models
 */
export const Company = Schema.Struct({
  id: CompanyId,
  tenantId: TenantId,
  name: Schema.String,
  domain: Domain,
  website: Schema.NullOr(Schema.String),
  industry: Schema.NullOr(Schema.String),
  ssicCode: Schema.NullOr(Schema.String),
  country: Schema.NullOr(Schema.String),
  employeeRange: Schema.NullOr(Schema.String),
  lastSeen: Schema.NullOr(Schema.DateFromSelf),
  lastEnrichedAt: Schema.NullOr(Schema.DateFromSelf)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Company = typeof Company.Type

/**
 * Options of target selection: at most `cap` companies, skipping those
 * already enriched on `runDay` (its date in its time zone: see `RunDay`)
 * unless `rerun`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SelectOptions {
  readonly cap: number
  readonly runDay: RunDay
  readonly rerun?: boolean | undefined
}
