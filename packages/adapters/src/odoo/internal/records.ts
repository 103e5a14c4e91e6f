/**
 * The three kinds of record an export keeps in Odoo, each with the key it is
 * found by again, the fields read and the values written:
 *
 * - the company: a `res.partner` holding `ref = leadgraph:<domain>`
 *   (`Odoo.partnerRef`). The same search also finds a company partner made
 *   before the ref existed (its website's host is the domain, its `ref` not
 *   leadgraph's), which is adopted: the ref is written onto it, or, when the
 *   tenant already uses that partner's `ref`, its ref and website are left
 *   alone so that the old lookup keeps finding it;
 * - a contact: a child partner of the company, keyed by its email, lower-cased;
 * - the lead: the company's one `crm.lead`, keyed by `partner_id`, archived
 *   leads included.
 *
 * @internal
 */
import { Company, Odoo } from "@leadgraph/core"
import type { Desired } from "./orm.js"
import { anyOf, compact, float, html, text } from "./orm.js"
import type * as Protocol from "./protocol.js"

// The company.

/** Fields read from a company partner. @internal */
export const companyFields = ["is_company", "name", "ref", "website", "email", "phone", "city"]

/**
 * One prefix-notation term finding a company's partner: the partner holding
 * its ref, or a company partner whose website mentions its domain (`ilike`,
 * narrowed by {@link findCompany}).
 *
 * @internal
 */
export const companyTerm = (domain: string): ReadonlyArray<unknown> => [
  "|",
  ["ref", "=", Odoo.partnerRef(domain)],
  "&",
  ["is_company", "=", true],
  ["website", "ilike", domain]
]

/**
 * A company's partner as found: by its ref (`keyed`), or by its website, with
 * the ref to write (`adopt`) or with the tenant's own ref to keep (`keep`).
 *
 * @internal
 */
export interface CompanyMatch {
  readonly row: Protocol.Row
  readonly by: "keyed" | "adopt" | "keep"
}

const websiteDomain = (stored: unknown): string => (typeof stored === "string" ? Company.normalizeDomain(stored) : "")

const refFree = (ref: unknown): boolean => ref === false || (typeof ref === "string" && ref.trim() === "")

/**
 * The company's partner among `rows` (in id order): the first holding its
 * ref; else the first company partner whose website's host is the domain
 * (`ilike` also matches "notacme.com" for "acme.com") and whose ref is not
 * leadgraph's (such a partner is another company's, whose website is here).
 *
 * @internal
 */
export const findCompany = (rows: ReadonlyArray<Protocol.Row>, domain: string): CompanyMatch | undefined => {
  const ref = Odoo.partnerRef(domain)
  const keyed = rows.find((r) => r.ref === ref)
  if (keyed !== undefined) return { row: keyed, by: "keyed" }
  const old = rows.find((r) =>
    r.is_company === true && websiteDomain(r.website) === domain && !Odoo.isLeadgraphRef(r.ref)
  )
  return old === undefined ? undefined : { row: old, by: refFree(old.ref) ? "adopt" : "keep" }
}

/**
 * The website to write: any host on a new partner or one found by its ref;
 * on a partner found by its website alone (`keep`), only one on the domain,
 * or the next export would not find it. An existing partner's spelling is
 * left alone unless a website is given.
 */
const websiteFor = (company: Odoo.Company, domain: string, match: CompanyMatch | undefined) => {
  if (match === undefined) return company.website ?? `https://${domain}`
  const elsewhere = company.website !== undefined && websiteDomain(company.website) !== domain
  return match.by === "keep" && elsewhere ? undefined : company.website
}

/** The values a company's partner should have, given how it was found. @internal */
export const companyDesired = (company: Odoo.Company, match: CompanyMatch | undefined): Record<string, Desired> => {
  const domain = Company.normalizeDomain(company.domain)
  return compact({
    name: text(company.name),
    email: text(company.email),
    phone: text(company.phone),
    city: text(company.city),
    website: text(websiteFor(company, domain, match)),
    ref: match?.by === "adopt" ? text(Odoo.partnerRef(domain)) : undefined
  })
}

/** What a new company partner gets besides its values. @internal */
export const companyOnCreate = (company: Odoo.Company) => ({ is_company: true, ref: Odoo.partnerRef(company.domain) })

// A contact.

/** Fields read from a contact. @internal */
export const contactFields = ["parent_id", "name", "email", "function", "phone"]

/** A contact's key. @internal */
export const emailKey = (email: string) => email.trim().toLowerCase()

/** True when the row's email is `email` (`_` and `%` are wildcards in `=ilike` patterns). @internal */
export const hasEmail = (row: Protocol.Row, email: string) =>
  typeof row.email === "string" && emailKey(row.email) === email

/**
 * One prefix-notation term finding contacts with these emails under any
 * company (the company's id may not be known yet); at least one email.
 *
 * @internal
 */
export const peopleTerm = (emails: ReadonlyArray<string>): ReadonlyArray<unknown> => [
  "&",
  ["parent_id", "!=", false],
  ...anyOf(emails.map((e) => ["email", "=ilike", e]))
]

/** The values a contact should have; its email is its key, written only on create. @internal */
export const contactDesired = (contact: Odoo.Contact, existing: Protocol.Row | undefined) =>
  compact({
    name: text(contact.name),
    email: existing === undefined ? text(contact.email) : undefined,
    function: text(contact.jobTitle),
    phone: text(contact.phone)
  })

/** What a new contact gets besides its values. @internal */
export const contactOnCreate = (companyId: number) => ({ parent_id: companyId, is_company: false, type: "contact" })

// The lead.

/** Fields read from a lead. @internal */
export const leadFields = ["name", "partner_name", "probability", "expected_revenue", "description"]

/**
 * The company's leads. Archived (lost) leads count too: re-exporting must
 * not reopen a lead someone closed.
 *
 * @internal
 */
export const leadDomain = (companyId: number) => [["partner_id", "=", companyId], ["active", "in", [true, false]]]

/** The values the company's lead should have. @internal */
export const leadDesired = (company: Odoo.Company, lead: Odoo.Lead) =>
  compact({
    name: text(lead.name),
    partner_name: text(company.name),
    probability: float(lead.probability),
    expected_revenue: float(lead.expectedRevenue),
    description: html(lead.description)
  })

/** What a new lead gets besides its values. @internal */
export const leadOnCreate = (companyId: number, company: Odoo.Company) => ({
  type: "lead",
  partner_id: companyId,
  website: company.website ?? `https://${Company.normalizeDomain(company.domain)}`
})
