/**
 * Property: whatever sequence of exports runs, with whatever faults, Odoo
 * never holds a second partner, contact or lead for one company; once the
 * faults stop, one more export of each company leaves exactly one of each,
 * and a repeat export changes nothing.
 *
 * Runs the upserts over the fake's in-memory database, with faults injected
 * around each `execute_kw`: refused before Odoo sees the call (a 503),
 * carried out with the answer lost (a time-out; retried), or carried out with
 * the answer garbled (not retried: the export fails and a later run goes on).
 * Some companies start with a partner made before the ref existed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Odoo } from "@leadgraph/core"
import { Effect, FastCheck as fc } from "effect"
import * as Upsert from "../../src/odoo/internal/upsert.js"
import * as OdooDatabase from "../../src/odoo/testing/OdooDatabase.js"
import { census, duplicates, exactlyOne, exportOf, fixtures, websites } from "./census.js"

type Fault = "none" | "refused" | "lost" | "garbled"

/** An execute_kw over `db` that suffers the faults in turn, cycling, until `calm`. */
const faulty = (db: OdooDatabase.OdooDatabase, faults: ReadonlyArray<Fault>) => {
  let calls = 0
  let calm = false
  const execute: Upsert.Execute = (model, method, args, kwargs) =>
    Effect.suspend(() => {
      const fault = calm || faults.length === 0 ? "none" : faults[calls++ % faults.length]!
      if (fault === "refused") return Effect.fail(new Odoo.OdooError({ reason: "ServerError", status: 503 }))
      const result = db.execute(model, method, args, kwargs ?? {})
      if (fault === "lost") return Effect.fail(new Odoo.OdooError({ reason: "Timeout", detail: "the answer was lost" }))
      if (fault === "garbled") return Effect.fail(new Odoo.OdooError({ reason: "BadResponse", detail: "cut short" }))
      return Effect.succeed(result)
    })
  return { execute, calm: () => void (calm = true) }
}

/** A partner as exports before the ref made it: website on the domain, no ref (or the tenant's own). */
const seedLegacy = (db: OdooDatabase.OdooDatabase, index: number, ref: "none" | "tenant") => {
  const f = fixtures[index]!
  const id = db.execute("res.partner", "create", [{
    name: f.name,
    is_company: true,
    website: `https://${f.domain}`,
    ...(ref === "tenant" ? { ref: `CUST-${index}` } : {})
  }], {}) as number
  const email = f.emails[0]
  if (email !== undefined) {
    db.execute("res.partner", "create", [{ name: "Legacy", email: email.toUpperCase(), parent_id: id }], {})
  }
  db.execute("crm.lead", "create", [{ name: `${f.name} (leadgraph)`, partner_id: id, type: "lead" }], {})
  return id
}

const step = fc.record({
  company: fc.nat({ max: fixtures.length - 1 }),
  website: fc.nat({ max: websites(fixtures[0]!).length - 1 }),
  contacts: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  lead: fc.boolean(),
  title: fc.constantFrom(undefined, "CTO", "CEO")
})

const scenario = fc.record({
  legacy: fc.array(fc.constantFrom<"absent" | "none" | "tenant">("absent", "none", "tenant"), { minLength: fixtures.length, maxLength: fixtures.length }),
  steps: fc.array(step, { minLength: 1, maxLength: 10 }),
  faults: fc.array(fc.constantFrom<Fault>("none", "none", "refused", "lost", "lost", "garbled"), { maxLength: 25 }),
  retries: fc.nat({ max: 3 })
})

describe("Odoo export idempotence (property)", () => {
  it.effect.prop(
    "random exports with random faults never make a second partner, contact or lead",
    { sc: scenario },
    ({ sc }) =>
      Effect.gen(function*() {
        const db = OdooDatabase.make()
        const legacy = new Map<number, number>()
        sc.legacy.forEach((kind, i) => {
          if (kind !== "absent") legacy.set(i, seedLegacy(db, i, kind))
        })
        const { calm, execute } = faulty(db, sc.faults)
        const odoo = Upsert.makeService(execute, (self) => Effect.retry(self, { times: sc.retries, while: (e) => e.retryable }))
        const touched = new Set(legacy.keys())

        for (const s of sc.steps) {
          const f = fixtures[s.company]!
          touched.add(s.company)
          const input = exportOf(f, {
            website: websites(f)[s.website],
            emails: f.emails.filter((_, i) => s.contacts[i] === true),
            lead: s.lead,
            title: s.title
          })
          yield* Effect.either(odoo.exportCompany(input))
          expect(duplicates(census(db))).toEqual([])
        }

        // The faults stop; every company is exported once more, with all its contacts and its lead.
        calm()
        const companies = [...touched].sort().map((i) => fixtures[i]!)
        const final = yield* Effect.forEach(companies, (f, n) =>
          odoo.exportCompany(exportOf(f, { website: websites(f)[sc.steps[n % sc.steps.length]!.website] })))
        expect(census(db)).toEqual(exactlyOne(companies))
        // Partners made before the ref are the ones kept.
        for (const [i, id] of legacy) expect(final[companies.indexOf(fixtures[i]!)]!.company.id).toBe(id)

        const again = yield* Effect.forEach(companies, (f, n) =>
          odoo.exportCompany(exportOf(f, { website: websites(f)[sc.steps[n % sc.steps.length]!.website] })))
        expect(again.map((e) => e.company.id)).toEqual(final.map((e) => e.company.id))
        const outcomes = again.flatMap((e) => [e.company.outcome, e.lead?.outcome, ...e.contacts.map((c) => c.result.outcome)])
        expect(outcomes.filter((o) => o !== "unchanged")).toEqual([])
      }),
    { fastCheck: { numRuns: 200 } }
  )
})
