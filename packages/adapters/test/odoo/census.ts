/**
 * Companies whose websites are not on their domains, exports of them, and a
 * census of what a fake Odoo holds: how many company partners, contacts and
 * leads each company has there. Idempotence is "one of each, whatever the
 * faults and however many runs".
 */
import { Company, Odoo } from "@leadgraph/core"
import { Schema } from "effect"
import type * as OdooDatabase from "../../src/odoo/testing/OdooDatabase.js"

export interface Fixture {
  readonly domain: string
  readonly name: string
  readonly emails: ReadonlyArray<string>
}

/** Four companies; one person (sam) works for two of them. */
export const fixtures: ReadonlyArray<Fixture> = [
  { domain: "acme.test", name: "Acme", emails: ["ann@acme.test", "bo@acme.test", "sam@shared.test"] },
  { domain: "globex.test", name: "Globex", emails: ["cy@globex.test", "sam@shared.test"] },
  { domain: "initech.test", name: "Initech", emails: ["dee@initech.test"] },
  { domain: "umbrella.test", name: "Umbrella", emails: [] }
]

/**
 * Websites of a company: none, on its domain but spelled differently, on a
 * subdomain, a redirect target elsewhere, and another company's domain (a
 * redirect after an acquisition).
 */
export const websites = (f: Fixture): ReadonlyArray<string | undefined> => [
  undefined,
  `https://www.${f.domain}/en/`,
  `HTTPS://${f.domain.toUpperCase()}:8443/?utm_source=x`,
  `http://shop.${f.domain}`,
  `https://${f.domain.replace(/\.test$/, "-group.example")}/home`,
  `https://${fixtures.find((o) => o.domain !== f.domain)!.domain}/`
]

/** The export of a company with some of its contacts and, unless told otherwise, its lead. */
export const exportOf = (
  f: Fixture,
  options?: {
    readonly website?: string | undefined
    readonly emails?: ReadonlyArray<string> | undefined
    readonly lead?: boolean | undefined
    readonly title?: string | undefined
  }
): Odoo.Export =>
  Schema.decodeSync(Odoo.Export)({
    company: { domain: f.domain, name: f.name, ...(options?.website === undefined ? {} : { website: options.website }) },
    contacts: (options?.emails ?? f.emails).map((email) => ({
      email,
      name: email.split("@")[0]!.toUpperCase(),
      ...(options?.title === undefined ? {} : { jobTitle: options.title })
    })),
    ...(options?.lead === false ? {} : { lead: { name: `${f.name} (leadgraph)`, probability: 80 } })
  })

/** What Odoo holds per company, counted. */
export interface Census {
  /** Company partners per domain: by leadgraph ref, else (a partner from before the ref) by website host. */
  readonly companies: Readonly<Record<string, number>>
  /** Company partners no company can claim. */
  readonly strays: number
  /** Contacts per `"<domain> <email>"`, under that domain's partners. */
  readonly contacts: Readonly<Record<string, number>>
  /** Leads per domain of their partner (archived ones too). */
  readonly leads: Readonly<Record<string, number>>
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

/** Counts the company partners, contacts and leads of each company in `db`. */
export const census = (db: OdooDatabase.OdooDatabase): Census => {
  const partners = db.all("res.partner")
  const domainOf = new Map<number, string>()
  const companies: Record<string, number> = {}
  let strays = 0
  for (const p of partners.filter((p) => p.is_company === true)) {
    const ref = typeof p.ref === "string" && Odoo.isLeadgraphRef(p.ref) ? p.ref.slice(Odoo.refPrefix.length) : undefined
    const domain = ref ?? (typeof p.website === "string" ? Company.normalizeDomain(p.website) : "")
    if (!fixtures.some((f) => f.domain === domain)) {
      strays++
      continue
    }
    domainOf.set(p.id as number, domain)
    bump(companies, domain)
  }
  const parentDomain = (m2o: unknown) => (Array.isArray(m2o) ? domainOf.get(m2o[0] as number) : undefined) ?? "?"
  const contacts: Record<string, number> = {}
  for (const p of partners.filter((p) => p.is_company === false)) {
    bump(contacts, `${parentDomain(p.parent_id)} ${String(p.email).toLowerCase()}`)
  }
  const leads: Record<string, number> = {}
  for (const l of db.all("crm.lead")) bump(leads, parentDomain(l.partner_id))
  return { companies, strays, contacts, leads }
}

/** The census of exactly one partner, one contact per email and one lead for each company given. */
export const exactlyOne = (companies: ReadonlyArray<Fixture>): Census => ({
  companies: Object.fromEntries(companies.map((f) => [f.domain, 1])),
  strays: 0,
  contacts: Object.fromEntries(companies.flatMap((f) => f.emails.map((e) => [`${f.domain} ${e}`, 1]))),
  leads: Object.fromEntries(companies.map((f) => [f.domain, 1]))
})

/** Every count of a census that is above one (duplicates), and strays. */
export const duplicates = (c: Census): ReadonlyArray<string> => [
  ...Object.entries(c.companies).filter(([, n]) => n > 1).map(([k, n]) => `${n} partners for ${k}`),
  ...Object.entries(c.contacts).filter(([, n]) => n > 1).map(([k, n]) => `${n} contacts ${k}`),
  ...Object.entries(c.leads).filter(([, n]) => n > 1).map(([k, n]) => `${n} leads for ${k}`),
  ...(c.strays > 0 ? [`${c.strays} stray company partners`] : [])
]
