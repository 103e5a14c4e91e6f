/**
 * The idempotent upserts of the Odoo port, over any way of running
 * `execute_kw` (JSON-RPC in the live adapter, the in-memory database in the
 * fake Layer). Each upsert searches first, then creates the record or
 * writes only the fields whose values differ, comparing in Odoo's value
 * conventions (unset is `false`, many2one is `[id, name]`, HTML fields may
 * come back wrapped in `<p>`).
 *
 * Retries wrap a whole upsert (search, then create or write), never a bare
 * `create`: a create whose answer was lost is found by the next search
 * instead of being made twice.
 *
 * @internal
 */
import { Odoo } from "@leadgraph/core"
import { Effect, Schema } from "effect"
import * as Protocol from "./protocol.js"

/** Runs one ORM method (`object.execute_kw` after login). @internal */
export type Execute = (
  model: string,
  method: string,
  args: ReadonlyArray<unknown>,
  kwargs?: Record<string, unknown>
) => Effect.Effect<unknown, Odoo.OdooError>

const decode = <A, I>(schema: Schema.Schema<A, I>, what: string) => (u: unknown) =>
  Schema.decodeUnknown(schema)(u).pipe(
    Effect.mapError((cause) =>
      new Odoo.OdooError({ reason: "BadResponse", detail: `unexpected ${what} result`, cause: cause.message })
    )
  )

const entities: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&nbsp;": " " }

/** Plain text of an HTML value, whitespace collapsed. @internal */
export const htmlText = (html: string): string =>
  html.replace(/<br\s*\/?>/gi, "\n").replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (e) => entities[e] ?? e)
    .replace(/\s+/g, " ").trim()

/** Plain text as an HTML paragraph, escaped. @internal */
export const textHtml = (text: string): string =>
  `<p>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</p>`

type Kind = "text" | "html" | "float" | "many2one"

interface Desired {
  readonly value: unknown
  readonly kind: Kind
}

const same = (stored: unknown, desired: Desired): boolean => {
  switch (desired.kind) {
    case "many2one":
      return (Array.isArray(stored) ? stored[0] : stored) === desired.value
    case "float":
      return typeof stored === "number" && Math.abs(stored - (desired.value as number)) < 1e-6
    case "html":
      return htmlText(typeof stored === "string" ? stored : "") === htmlText(String(desired.value))
    case "text":
      return (stored === false ? "" : stored) === desired.value
  }
}

const text = (value: string | undefined): Desired | undefined =>
  value === undefined ? undefined : { value: value.trim(), kind: "text" }

const compact = (fields: Record<string, Desired | undefined>): Record<string, Desired> =>
  Object.fromEntries(Object.entries(fields).filter((e): e is [string, Desired] => e[1] !== undefined))

const values = (fields: Record<string, Desired>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).map(([k, d]) => [k, d.value]))

/**
 * Creates a record with `desired` plus `onCreate`, or writes to `existing`
 * the desired fields that differ (nothing when none do).
 */
const apply = (
  execute: Execute,
  model: string,
  existing: Protocol.Row | undefined,
  desired: Record<string, Desired>,
  onCreate: Record<string, unknown>
): Effect.Effect<Odoo.Upserted, Odoo.OdooError> => {
  if (existing === undefined) {
    const vals = { ...onCreate, ...values(desired) }
    return execute(model, "create", [vals]).pipe(
      Effect.flatMap(decode(Protocol.CreatedId, `${model}.create`)),
      Effect.map((id) => new Odoo.Upserted({ id, outcome: "created", fields: Object.keys(vals).sort() }))
    )
  }
  const changed = Object.fromEntries(Object.entries(desired).filter(([k, d]) => !same(existing[k], d)))
  const fields = Object.keys(changed).sort()
  if (fields.length === 0) return Effect.succeed(new Odoo.Upserted({ id: existing.id, outcome: "unchanged", fields }))
  return execute(model, "write", [[existing.id], values(changed)]).pipe(
    Effect.flatMap(decode(Protocol.Written, `${model}.write`)),
    Effect.as(new Odoo.Upserted({ id: existing.id, outcome: "updated", fields }))
  )
}

const searchRead = (
  execute: Execute,
  model: string,
  domain: ReadonlyArray<unknown>,
  fields: ReadonlyArray<string>
) =>
  execute(model, "search_read", [domain], { fields, order: "id asc" }).pipe(
    Effect.flatMap(decode(Protocol.Rows, `${model}.search_read`))
  )

const websiteDomain = (stored: unknown): string => (typeof stored === "string" ? Odoo.normalizeDomain(stored) : "")

/**
 * The Odoo service over `execute`; `retry` wraps each whole upsert.
 *
 * @internal
 */
export const makeService = (
  execute: Execute,
  retry: <A>(self: Effect.Effect<A, Odoo.OdooError>) => Effect.Effect<A, Odoo.OdooError>
): Odoo.Service => {
  const upsertCompany = (company: Odoo.Company) => {
    const domain = Odoo.normalizeDomain(company.domain)
    const base = { name: text(company.name), email: text(company.email), phone: text(company.phone), city: text(company.city) }
    return searchRead(execute, "res.partner", [["is_company", "=", true], ["website", "ilike", domain]], [
      "name",
      "website",
      "email",
      "phone",
      "city"
    ]).pipe(
      Effect.flatMap((rows) => {
        // `ilike` also matches "notacme.com" for "acme.com": keep exact domains only.
        const existing = rows.find((r) => websiteDomain(r.website) === domain)
        // An existing partner already has the right domain: leave its website's spelling alone unless one is given.
        const website = company.website ?? (existing === undefined ? `https://${domain}` : undefined)
        return apply(execute, "res.partner", existing, compact({ ...base, website: text(website) }), {
          is_company: true
        })
      }),
      retry,
      Effect.withSpan("Odoo.upsertCompany", { attributes: { domain } })
    )
  }

  const upsertContact = (companyId: number, contact: Odoo.Contact) => {
    const email = contact.email.trim().toLowerCase()
    return searchRead(
      execute,
      "res.partner",
      [["parent_id", "=", companyId], ["email", "=ilike", email]],
      ["name", "email", "function", "phone"]
    ).pipe(
      Effect.flatMap((rows) => {
        // `_` is a wildcard in =ilike patterns: confirm the exact address.
        const existing = rows.find((r) => typeof r.email === "string" && r.email.trim().toLowerCase() === email)
        const desired = compact({
          name: text(contact.name),
          email: existing === undefined ? text(contact.email) : undefined,
          function: text(contact.jobTitle),
          phone: text(contact.phone)
        })
        return apply(execute, "res.partner", existing, desired, {
          parent_id: companyId,
          is_company: false,
          type: "contact"
        })
      }),
      retry,
      Effect.withSpan("Odoo.upsertContact", { attributes: { companyId } })
    )
  }

  const upsertLead = (companyId: number, company: Odoo.Company, lead: Odoo.Lead) =>
    // Archived (lost) leads count too: re-exporting must not reopen a lead someone closed.
    searchRead(execute, "crm.lead", [["partner_id", "=", companyId], ["active", "in", [true, false]]], [
      "name",
      "partner_name",
      "probability",
      "expected_revenue",
      "description"
    ]).pipe(
      Effect.flatMap((rows) => {
        const desired = compact({
          name: text(lead.name),
          partner_name: text(company.name),
          probability: lead.probability === undefined ? undefined : { value: lead.probability, kind: "float" },
          expected_revenue: lead.expectedRevenue === undefined
            ? undefined
            : { value: lead.expectedRevenue, kind: "float" },
          description: lead.description === undefined ? undefined : { value: textHtml(lead.description), kind: "html" }
        })
        return apply(execute, "crm.lead", rows[0], desired, {
          type: "lead",
          partner_id: companyId,
          website: company.website ?? `https://${Odoo.normalizeDomain(company.domain)}`
        })
      }),
      retry,
      Effect.withSpan("Odoo.upsertLead", { attributes: { companyId } })
    )

  const exportCompany = (input: Odoo.Export) =>
    Effect.gen(function*() {
      const company = yield* upsertCompany(input.company)
      const contacts = yield* Effect.forEach(
        input.contacts,
        (contact) => Effect.map(upsertContact(company.id, contact), (result) => ({ email: contact.email, result }))
      )
      const lead = input.lead === undefined ? undefined : yield* upsertLead(company.id, input.company, input.lead)
      return new Odoo.Exported(lead === undefined ? { company, contacts } : { company, contacts, lead })
    }).pipe(Effect.withSpan("Odoo.exportCompany", { attributes: { domain: input.company.domain } }))

  return { upsertCompany, upsertContact, upsertLead, exportCompany }
}
