/**
 * Tenants: the customers leadgraph enriches leads for, and their Odoo
 * connections. A tenant is active (nightly runs take it) unless disabled.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A tenant's id: a short non-empty string (`DEFAULT_TENANT_ID` in the
 * environment). Every tenant-scoped row carries it and row-level security
 * compares it with the transaction's tenant.
 *
 * @since 0.1.0
 * @category models
 */
export const TenantId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64), Schema.brand("TenantId"))

/**
 * @since 0.1.0
 * @category models
 */
export type TenantId = typeof TenantId.Type

/**
 * A tenant. `dailyCap`, when set, overrides `SCHED_DAILY_CAP_PER_TENANT`
 * (the number of companies a nightly run enriches for this tenant); `null`
 * (the default) means the global cap applies. `timeZone`, when set, is the
 * IANA zone the tenant's run day (and so its daily cap) is taken in instead
 * of `SCHED_TZ`. A `disabled` tenant is left out of nightly runs; every
 * other tenant is active, with or without an Odoo connection.
 *
 * @since 0.1.0
 * @category models
 */
export const Tenant = Schema.Struct({
  id: TenantId,
  name: Schema.NonEmptyTrimmedString,
  dailyCap: Schema.optionalWith(Schema.NullOr(Schema.NonNegativeInt), { default: () => null }),
  timeZone: Schema.optional(Schema.NullOr(Schema.String)),
  disabled: Schema.optional(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Tenant = typeof Tenant.Type

/**
 * A tenant's Odoo connection. `secretRef` names where the API key is kept
 * (for example `env:ODOO_KEY_ACME`); the key itself is never stored or
 * logged. A run exports to Odoo only with an `active` connection; without
 * one it leaves its `export` step out.
 * `createLeads` (default `true`) says whether the export keeps a `crm.lead`
 * per exported company; with `false` it exports companies and their contacts
 * only, and leaves the tenant's leads alone.
 *
 * @since 0.1.0
 * @category models
 */
export const OdooConnection = Schema.Struct({
  active: Schema.Boolean,
  url: Schema.NonEmptyTrimmedString,
  database: Schema.NonEmptyTrimmedString,
  login: Schema.NonEmptyTrimmedString,
  secretRef: Schema.NonEmptyTrimmedString,
  createLeads: Schema.optionalWith(Schema.Boolean, { default: () => true })
})

/**
 * @since 0.1.0
 * @category models
 */
export type OdooConnection = typeof OdooConnection.Type

/**
 * Which tenants a nightly run covers (`SCHED_TENANT_INCLUDE` and
 * `SCHED_TENANT_EXCLUDE`): an empty or missing `include` means all.
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantFilter {
  readonly include?: ReadonlyArray<TenantId> | undefined
  readonly exclude?: ReadonlyArray<TenantId> | undefined
}

/**
 * Why a filter leaves a tenant out: its id is in `exclude` (`"excluded"`),
 * or `include` is not empty and lacks it (`"notIncluded"`). A tenant both
 * excluded and not included is `"excluded"`.
 *
 * @since 0.1.0
 * @category models
 */
export type FilterReason = "excluded" | "notIncluded"

/**
 * Why the filter leaves a tenant out, if it does: an empty or missing
 * `include` means every tenant, and `exclude` wins over `include`. The rule
 * of `Store.listActiveTenants` and of an HTTP kickoff of every tenant.
 *
 * @since 0.1.0
 * @category helpers
 */
export const leftOutBy = (filter: TenantFilter | undefined, tenantId: TenantId): FilterReason | undefined => {
  const include = filter?.include ?? []
  if ((filter?.exclude ?? []).includes(tenantId)) return "excluded"
  return include.length > 0 && !include.includes(tenantId) ? "notIncluded" : undefined
}

/**
 * A tenant as `tenants list` shows it: its row, whether it has an active
 * Odoo connection, and how many companies it has.
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantSummary extends Tenant {
  readonly odooConnected: boolean
  readonly companies: number
}
