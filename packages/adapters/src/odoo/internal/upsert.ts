/**
 * The idempotent upserts of the Odoo port, over any way of running
 * `execute_kw` (see {@link Execute}). Each upsert searches by the record's
 * key (see `records.ts`: the company's `ref`, a contact's email under the
 * company, the lead's partner), then creates the record or writes only the
 * fields whose values differ.
 *
 * `exportCompany` batches, since the client-side rate limit makes Odoo calls
 * the scarce resource: one `search_read` finds the company (by ref, or an
 * older partner by website) and its contacts, one `create` with a list of
 * value dicts makes the new contacts, one `write` goes to each set of
 * records that get the same values, and the lead of a company created just
 * now is created without a search. The records and fields are those the
 * single upserts would leave.
 *
 * Retries wrap a whole upsert or a whole export (reads, then creates and
 * writes), never a bare `create`: a create whose answer was lost is found by
 * the next search, by the key it was created with, instead of being made
 * twice.
 *
 * @internal
 */
import { Company, Odoo } from "@leadgraph/core"
import { Effect, Ref } from "effect"
import type { Desired, Execute, Intend } from "./orm.js"
import { apply, changes, createAll, created, searchRead, values, write } from "./orm.js"
import * as Records from "./records.js"

export type { Execute } from "./orm.js"

const upsertLeadOf = (
  execute: Execute,
  companyId: number,
  company: Odoo.Company,
  lead: Odoo.Lead,
  intend?: Intend
) =>
  searchRead(execute, "crm.lead", Records.leadDomain(companyId), Records.leadFields).pipe(
    Effect.flatMap((rows) =>
      apply(
        execute,
        "crm.lead",
        rows[0],
        Records.leadDesired(company, lead),
        Records.leadOnCreate(companyId, company),
        intend
      )
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
    const domain = Company.normalizeDomain(input.company.domain)
    // One email given twice is one partner: the later values win, as the later of two upserts would.
    const byEmail = new Map<string, Array<Odoo.Contact>>()
    for (const c of input.contacts) {
      const key = Records.emailKey(c.email)
      byEmail.set(key, [...(byEmail.get(key) ?? []), c])
    }
    const emails = [...byEmail.keys()]
    const rows = yield* searchRead(
      execute,
      "res.partner",
      emails.length === 0 ? Records.companyTerm(domain) : ["|", ...Records.companyTerm(domain), ...Records.peopleTerm(emails)],
      [...new Set([...Records.companyFields, ...Records.contactFields])]
    )
    const found = Records.findCompany(rows, domain)
    const company = yield* apply(
      execute,
      "res.partner",
      found?.row,
      Records.companyDesired(input.company, found),
      Records.companyOnCreate(input.company),
      intendFor(intents, "company")
    ).pipe(Effect.flatMap(recall(intents, "company")))

    // Rows of people under other companies (the same email elsewhere) are not this company's contacts.
    const children = found === undefined
      ? []
      : rows.filter((r) => Array.isArray(r.parent_id) && r.parent_id[0] === company.id)
    const plans = emails.map((email) => {
      const existing = children.find((r) => Records.hasEmail(r, email))
      const desired: Record<string, Desired> = Object.assign(
        {},
        ...(byEmail.get(email) ?? []).map((c) => Records.contactDesired(c, existing))
      )
      return { email, existing, desired }
    })
    const results = new Map<string, Odoo.Upserted>()

    const fresh = plans.filter((p) => p.existing === undefined)
    const vals = fresh.map((p) => ({ ...Records.contactOnCreate(company.id), ...values(p.desired) }))
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
      ? apply(
        execute,
        "crm.lead",
        undefined,
        Records.leadDesired(input.company, wanted),
        Records.leadOnCreate(company.id, input.company),
        intendLead
      )
      : upsertLeadOf(execute, company.id, input.company, wanted, intendLead)).pipe(Effect.flatMap(recall(intents, "lead")))
    const contacts = input.contacts.map((c) => ({ email: c.email, result: results.get(Records.emailKey(c.email))! }))
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
): Omit<Odoo.Service, "serverVersion"> => {
  const upsertCompany = (company: Odoo.Company) => {
    const domain = Company.normalizeDomain(company.domain)
    return searchRead(execute, "res.partner", Records.companyTerm(domain), Records.companyFields).pipe(
      Effect.flatMap((rows) => {
        const found = Records.findCompany(rows, domain)
        return apply(
          execute,
          "res.partner",
          found?.row,
          Records.companyDesired(company, found),
          Records.companyOnCreate(company)
        )
      }),
      retry,
      Effect.withSpan("Odoo.upsertCompany", { attributes: { domain } })
    )
  }

  const upsertContact = (companyId: number, contact: Odoo.Contact) => {
    const email = Records.emailKey(contact.email)
    return searchRead(
      execute,
      "res.partner",
      [["parent_id", "=", companyId], ["email", "=ilike", email]],
      Records.contactFields
    ).pipe(
      Effect.flatMap((rows) => {
        const existing = rows.find((r) => Records.hasEmail(r, email))
        return apply(
          execute,
          "res.partner",
          existing,
          Records.contactDesired(contact, existing),
          Records.contactOnCreate(companyId)
        )
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
