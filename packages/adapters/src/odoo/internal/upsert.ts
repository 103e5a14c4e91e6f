/**
 * The idempotent upserts of the Odoo port, over any way of running
 * `execute_kw` (JSON-RPC in the live adapter, the in-memory database in the
 * fake Layer). Each upsert searches first, then creates the record or
 * writes only the fields whose values differ, comparing in Odoo's value
 * conventions (unset is `false`, many2one is `[id, name]`, HTML fields may
 * come back wrapped in `<p>`).
 *
 * `exportCompany` batches, since the client-side rate limit makes Odoo calls
 * the scarce resource: one `search_read` finds the company and its contacts
 * (a `|` domain over the domain and the emails), one `create` with a list of
 * value dicts makes the new contacts, one `write` goes to each set of
 * records that get the same values, and the lead of a company created just
 * now is created without a search. The records and fields are those the
 * single upserts would leave. Everything sent is plain Odoo (12+):
 * prefix-notation domains, `create` with a list, `write` on several ids.
 *
 * Retries wrap a whole upsert or a whole export (reads, then creates and
 * writes), never a bare `create`: a create whose answer was lost is found by
 * the next search instead of being made twice.
 *
 * @internal
 */
import { Odoo } from "@leadgraph/core"
import { Effect, Ref, Schema } from "effect"
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

/** The desired fields whose stored values differ. */
const changes = (existing: Protocol.Row, desired: Record<string, Desired>): Record<string, Desired> =>
  Object.fromEntries(Object.entries(desired).filter(([k, d]) => !same(existing[k], d)))

const created = (id: number, vals: Record<string, unknown>) =>
  new Odoo.Upserted({ id, outcome: "created", fields: Object.keys(vals).sort() })

const write = (execute: Execute, model: string, ids: ReadonlyArray<number>, vals: Record<string, unknown>) =>
  execute(model, "write", [ids, vals]).pipe(Effect.flatMap(decode(Protocol.Written, `${model}.write`)))

const CreatedIds = Schema.Array(Protocol.CreatedId)

/** Creates records, one dict as a dict (an id back), several as a list (ids back, in order; Odoo 12+). */
const createAll = (
  execute: Execute,
  model: string,
  vals: ReadonlyArray<Record<string, unknown>>
): Effect.Effect<ReadonlyArray<number>, Odoo.OdooError> =>
  vals.length === 1
    ? execute(model, "create", [vals[0]]).pipe(
      Effect.flatMap(decode(Protocol.CreatedId, `${model}.create`)),
      Effect.map((id) => [id])
    )
    : execute(model, "create", [vals]).pipe(
      Effect.flatMap(decode(CreatedIds, `${model}.create`)),
      Effect.filterOrFail(
        (ids) => ids.length === vals.length,
        () => new Odoo.OdooError({ reason: "BadResponse", detail: `${model}.create answered a wrong number of ids` })
      )
    )

/** Told what is about to be created or written, before the call (see {@link Intents}). */
type Intend = (outcome: Odoo.Outcome, fields: ReadonlyArray<string>) => Effect.Effect<void>

const intendNothing: Intend = () => Effect.void

/**
 * Creates a record with `desired` plus `onCreate`, or writes to `existing`
 * the desired fields that differ (nothing when none do).
 */
const apply = (
  execute: Execute,
  model: string,
  existing: Protocol.Row | undefined,
  desired: Record<string, Desired>,
  onCreate: Record<string, unknown>,
  intend: Intend = intendNothing
): Effect.Effect<Odoo.Upserted, Odoo.OdooError> => {
  if (existing === undefined) {
    const vals = { ...onCreate, ...values(desired) }
    return intend("created", Object.keys(vals).sort()).pipe(
      Effect.zipRight(createAll(execute, model, [vals])),
      Effect.map(([id]) => created(id!, vals))
    )
  }
  const changed = changes(existing, desired)
  const fields = Object.keys(changed).sort()
  if (fields.length === 0) return Effect.succeed(new Odoo.Upserted({ id: existing.id, outcome: "unchanged", fields }))
  return intend("updated", fields).pipe(
    Effect.zipRight(write(execute, model, [existing.id], values(changed))),
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

/** Prefix-notation `|` over leaves (Odoo's `OR`); one leaf stays as it is. */
const anyOf = (leaves: ReadonlyArray<unknown>): ReadonlyArray<unknown> => [...leaves.slice(1).map(() => "|"), ...leaves]

const websiteDomain = (stored: unknown): string => (typeof stored === "string" ? Odoo.normalizeDomain(stored) : "")

// The company: a company partner keyed by its domain, matched against `website`.

const companyFields = ["is_company", "name", "website", "email", "phone", "city"]

const companyDomain = (domain: string) => [["is_company", "=", true], ["website", "ilike", domain]]

/** `ilike` also matches "notacme.com" for "acme.com": keep exact domains only. */
const findCompany = (rows: ReadonlyArray<Protocol.Row>, domain: string) =>
  rows.find((r) => r.is_company === true && websiteDomain(r.website) === domain)

const companyDesired = (company: Odoo.Company, existing: Protocol.Row | undefined) => {
  // An existing partner already has the right domain: leave its website's spelling alone unless one is given.
  const website = company.website ?? (existing === undefined ? `https://${Odoo.normalizeDomain(company.domain)}` : undefined)
  return compact({
    name: text(company.name),
    email: text(company.email),
    phone: text(company.phone),
    city: text(company.city),
    website: text(website)
  })
}

const companyOnCreate = { is_company: true }

// A contact: a child partner of the company, keyed by email (case-insensitive).

const contactFields = ["parent_id", "name", "email", "function", "phone"]

const emailKey = (email: string) => email.trim().toLowerCase()

/** `_` is a wildcard in `=ilike` patterns: confirm the exact address. */
const hasEmail = (row: Protocol.Row, email: string) => typeof row.email === "string" && emailKey(row.email) === email

const contactDesired = (contact: Odoo.Contact, existing: Protocol.Row | undefined) =>
  compact({
    name: text(contact.name),
    email: existing === undefined ? text(contact.email) : undefined,
    function: text(contact.jobTitle),
    phone: text(contact.phone)
  })

const contactOnCreate = (companyId: number) => ({ parent_id: companyId, is_company: false, type: "contact" })

// The lead: the company's one crm.lead, keyed by partner_id.

const leadFields = ["name", "partner_name", "probability", "expected_revenue", "description"]

// Archived (lost) leads count too: re-exporting must not reopen a lead someone closed.
const leadDomain = (companyId: number) => [["partner_id", "=", companyId], ["active", "in", [true, false]]]

const leadDesired = (company: Odoo.Company, lead: Odoo.Lead) =>
  compact({
    name: text(lead.name),
    partner_name: text(company.name),
    probability: lead.probability === undefined ? undefined : { value: lead.probability, kind: "float" },
    expected_revenue: lead.expectedRevenue === undefined ? undefined : { value: lead.expectedRevenue, kind: "float" },
    description: lead.description === undefined ? undefined : { value: textHtml(lead.description), kind: "html" }
  })

const leadOnCreate = (companyId: number, company: Odoo.Company) => ({
  type: "lead",
  partner_id: companyId,
  website: company.website ?? `https://${Odoo.normalizeDomain(company.domain)}`
})

const upsertLeadOf = (
  execute: Execute,
  companyId: number,
  company: Odoo.Company,
  lead: Odoo.Lead,
  intend: Intend = intendNothing
) =>
  searchRead(execute, "crm.lead", leadDomain(companyId), leadFields).pipe(
    Effect.flatMap((rows) =>
      apply(execute, "crm.lead", rows[0], leadDesired(company, lead), leadOnCreate(companyId, company), intend)
    )
  )

/**
 * What the attempts of one export set out to create or write, by record key
 * (`company`, `contact:<email>`, `lead`), recorded before each call. A retry
 * that finds such a record already as wanted reports the earlier attempt's
 * work, even when its answer was lost, instead of `unchanged`.
 */
type Intents = Ref.Ref<ReadonlyMap<string, Intent>>

interface Intent {
  readonly outcome: Odoo.Outcome
  readonly fields: ReadonlyArray<string>
}

const intendFor = (intents: Intents, key: string): Intend => (outcome, fields) =>
  Ref.update(intents, (m) => new Map(m).set(key, { outcome, fields }))

const recall = (intents: Intents, key: string) => (result: Odoo.Upserted): Effect.Effect<Odoo.Upserted> =>
  result.outcome !== "unchanged"
    ? Effect.succeed(result)
    : Effect.map(Ref.get(intents), (m) => {
      const earlier = m.get(key)
      return earlier === undefined ? result : new Odoo.Upserted({ id: result.id, ...earlier })
    })

/** One attempt of a batched export: one read of the partners, then only the creates and writes needed. */
const exportOnce = (execute: Execute, input: Odoo.Export, intents: Intents) =>
  Effect.gen(function*() {
    const domain = Odoo.normalizeDomain(input.company.domain)
    // One email given twice is one partner: the later values win, as the later of two upserts would.
    const byEmail = new Map<string, Array<Odoo.Contact>>()
    for (const c of input.contacts) byEmail.set(emailKey(c.email), [...(byEmail.get(emailKey(c.email)) ?? []), c])
    const emails = [...byEmail.keys()]
    const people = ["&", ["parent_id", "!=", false], ...anyOf(emails.map((e) => ["email", "=ilike", e]))]
    const rows = yield* searchRead(
      execute,
      "res.partner",
      emails.length === 0 ? companyDomain(domain) : ["|", "&", ...companyDomain(domain), ...people],
      [...new Set([...companyFields, ...contactFields])]
    )
    const found = findCompany(rows, domain)
    const company = yield* apply(
      execute,
      "res.partner",
      found,
      companyDesired(input.company, found),
      companyOnCreate,
      intendFor(intents, "company")
    ).pipe(Effect.flatMap(recall(intents, "company")))

    // Rows of people under other companies (the same email elsewhere) are not this company's contacts.
    const children = found === undefined
      ? []
      : rows.filter((r) => Array.isArray(r.parent_id) && r.parent_id[0] === company.id)
    const plans = emails.map((email) => {
      const existing = children.find((r) => hasEmail(r, email))
      const desired: Record<string, Desired> = Object.assign(
        {},
        ...(byEmail.get(email) ?? []).map((c) => contactDesired(c, existing))
      )
      return { email, existing, desired }
    })
    const results = new Map<string, Odoo.Upserted>()

    const fresh = plans.filter((p) => p.existing === undefined)
    const vals = fresh.map((p) => ({ ...contactOnCreate(company.id), ...values(p.desired) }))
    if (vals.length > 0) {
      for (const [i, p] of fresh.entries()) yield* intendFor(intents, `contact:${p.email}`)("created", Object.keys(vals[i]!).sort())
      const ids = yield* createAll(execute, "res.partner", vals)
      fresh.forEach((p, i) => results.set(p.email, created(ids[i]!, vals[i]!)))
    }

    // `write` gives every id the same values: one call per distinct set of changes.
    const writes = new Map<string, { emails: Array<string>; ids: Array<number>; vals: Record<string, unknown> }>()
    for (const p of plans) {
      if (p.existing === undefined) continue
      const changed = values(changes(p.existing, p.desired))
      const fields = Object.keys(changed).sort()
      results.set(p.email, new Odoo.Upserted({ id: p.existing.id, outcome: fields.length === 0 ? "unchanged" : "updated", fields }))
      if (fields.length === 0) continue
      const key = JSON.stringify(fields.map((f) => [f, changed[f]]))
      const group = writes.get(key) ?? { emails: [], ids: [], vals: changed }
      group.emails.push(p.email)
      group.ids.push(p.existing.id)
      writes.set(key, group)
    }
    for (const w of writes.values()) {
      for (const email of w.emails) yield* intendFor(intents, `contact:${email}`)("updated", results.get(email)!.fields)
      yield* write(execute, "res.partner", w.ids, w.vals)
    }
    for (const [email, result] of results) results.set(email, yield* recall(intents, `contact:${email}`)(result))

    const wanted = input.lead
    const intendLead = intendFor(intents, "lead")
    const lead = wanted === undefined ? undefined : yield* (found === undefined
      // A company created by this attempt has no lead yet: nothing to search.
      ? apply(execute, "crm.lead", undefined, leadDesired(input.company, wanted), leadOnCreate(company.id, input.company), intendLead)
      : upsertLeadOf(execute, company.id, input.company, wanted, intendLead)).pipe(Effect.flatMap(recall(intents, "lead")))
    const contacts = input.contacts.map((c) => ({ email: c.email, result: results.get(emailKey(c.email))! }))
    return new Odoo.Exported(lead === undefined ? { company, contacts } : { company, contacts, lead })
  })

/**
 * The Odoo service over `execute`; `retry` wraps each whole upsert and each
 * whole export.
 *
 * @internal
 */
export const makeService = (
  execute: Execute,
  retry: <A>(self: Effect.Effect<A, Odoo.OdooError>) => Effect.Effect<A, Odoo.OdooError>
): Odoo.Service => {
  const upsertCompany = (company: Odoo.Company) => {
    const domain = Odoo.normalizeDomain(company.domain)
    return searchRead(execute, "res.partner", companyDomain(domain), companyFields).pipe(
      Effect.flatMap((rows) => {
        const existing = findCompany(rows, domain)
        return apply(execute, "res.partner", existing, companyDesired(company, existing), companyOnCreate)
      }),
      retry,
      Effect.withSpan("Odoo.upsertCompany", { attributes: { domain } })
    )
  }

  const upsertContact = (companyId: number, contact: Odoo.Contact) => {
    const email = emailKey(contact.email)
    return searchRead(
      execute,
      "res.partner",
      [["parent_id", "=", companyId], ["email", "=ilike", email]],
      contactFields
    ).pipe(
      Effect.flatMap((rows) => {
        const existing = rows.find((r) => hasEmail(r, email))
        return apply(execute, "res.partner", existing, contactDesired(contact, existing), contactOnCreate(companyId))
      }),
      retry,
      Effect.withSpan("Odoo.upsertContact", { attributes: { companyId } })
    )
  }

  const upsertLead = (companyId: number, company: Odoo.Company, lead: Odoo.Lead) =>
    upsertLeadOf(execute, companyId, company, lead).pipe(
      retry,
      Effect.withSpan("Odoo.upsertLead", { attributes: { companyId } })
    )

  const exportCompany = (input: Odoo.Export) =>
    Ref.make<ReadonlyMap<string, Intent>>(new Map()).pipe(
      Effect.flatMap((intents) => retry(exportOnce(execute, input, intents))),
      Effect.withSpan("Odoo.exportCompany", { attributes: { domain: input.company.domain } })
    )

  return { upsertCompany, upsertContact, upsertLead, exportCompany }
}
