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

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9"

/** The host of a domain or URL: no scheme, user info, path, port or trailing dot. */
const hostOf = (input: string): string => {
  // No host holds white space (WHATWG URL drops tabs and newlines anywhere): "acme .test" meant acme.test.
  // A website's scheme has no dot, so "acme.test:/en/" is a host with an empty port, not a scheme.
  const s = input.replace(/\s+/g, "").toLowerCase().replace(/^(?:[a-z][a-z0-9+-]*:)?[/\\]+/, "")
  // A backslash ends the authority as a slash does (WHATWG URL, for http and https).
  const authority = s.split(/[/?#\\]/, 1)[0] ?? ""
  const host = authority.slice(authority.lastIndexOf("@") + 1)
  // One backward scan drops trailing dots and ports together ("acme.test.:80."), in linear time.
  let end = host.length
  for (;;) {
    while (end > 0 && host[end - 1] === ".") end--
    let i = end
    while (isDigit(host[i - 1])) i--
    if (i === 0 || host[i - 1] !== ":") break
    end = i - 1
  }
  return host.slice(0, end)
}

/** Internationalised names in their ASCII (punycode) form, as `Company.Domain` spells them. */
const toAscii = (host: string): string => {
  if (!/[^\x00-\x7f]/.test(host)) return host
  const url = `http://${host}/`
  return URL.canParse(url) ? new URL(url).hostname : host
}

/**
 * Normalises a domain or URL to the stable company key: lower case, no
 * white space, scheme, user info, path or port, no trailing dot, no leading `www.`,
 * internationalised names as punycode (`https://www.Bücher.example:8443/de/`
 * is `xn--bcher-kva.example`). Idempotent, and linear in the input.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeDomain = (input: string): string => {
  const host = toAscii(hostOf(input))
  let start = 0
  while (host.startsWith("www.", start)) start += 4
  // The ASCII form of a name may end in a dot again ("acme.test。").
  let end = host.length
  while (end > start && host[end - 1] === ".") end--
  return host.slice(start, end)
}

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
 * What an import writes over what is known of a company: the given name,
 * and each field the input gives; a field it leaves empty keeps its value.
 *
 * @since 0.1.0
 * @category combinators
 */
export const overlay = <A extends Pick<CompanyInput, "name" | "website" | "industry" | "ssicCode" | "country" | "employeeRange">>(
  known: A,
  given: CompanyInput
): A => ({
  ...known,
  name: given.name,
  website: given.website ?? known.website,
  industry: given.industry ?? known.industry,
  ssicCode: given.ssicCode ?? known.ssicCode,
  country: given.country ?? known.country,
  employeeRange: given.employeeRange ?? known.employeeRange
})

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
