/**
 * How many Odoo calls an export makes, counted by the fake Odoo, and what it
 * leaves in Odoo: a first export, the same export again, and changes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Odoo } from "@leadgraph/core"
import { Effect, Schema } from "effect"
import * as Upsert from "../../src/odoo/internal/upsert.js"
import type * as FakeOdooServer from "../../src/odoo/testing/FakeOdooServer.js"
import * as OdooDatabase from "../../src/odoo/testing/OdooDatabase.js"
import * as OdooFake from "../../src/odoo/testing/OdooFake.js"
import { outcomes, withOdoo } from "./harness.js"

const contact = Schema.decodeSync(Odoo.Contact)

describe("the number of Odoo calls an export makes", () => {
  const three = Schema.decodeSync(Odoo.Export)({
    company: { domain: "globex.example", name: "Globex", website: "https://globex.example", phone: "+65 6000 0000" },
    contacts: [
      { email: "ann@globex.example", name: "Ann Lee", jobTitle: "CTO" },
      { email: "bo@globex.example", name: "Bo Tan", phone: "+65 8000 0001" },
      { email: "cy@globex.example", name: "Cy Ng", jobTitle: "Head of Sales" }
    ],
    lead: { name: "Globex (leadgraph)", probability: 74, description: "Fits the ICP." }
  })

  /** `execute_kw` calls per `<model>.<method>` made by `f`. */
  const callsOf = <A, E>(server: FakeOdooServer.FakeOdooServer, f: Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const before = yield* server.methodCalls
      const result = yield* f
      const after = yield* server.methodCalls
      const calls = Object.fromEntries(
        Object.entries(after).flatMap(([k, n]) => (n === (before[k] ?? 0) ? [] : [[k, n - (before[k] ?? 0)]]))
      )
      return [result, calls] as const
    })

  const people = (server: FakeOdooServer.FakeOdooServer) =>
    server.db.all("res.partner").filter((p) => p.is_company === false)
      .map((p) => ({ parent: p.parent_id, name: p.name, email: p.email, function: p.function, phone: p.phone }))

  it.live("first export: one read, one create each for the company, the contacts and the lead", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const [first, calls] = yield* callsOf(server, odoo.exportCompany(three))
        expect(calls).toEqual({
          "common.login": 1,
          "res.partner.search_read": 1,
          "res.partner.create": 2,
          "crm.lead.create": 1
        })
        expect(outcomes(first)).toEqual(["created", "created", "created", "created", "created"])
        const company = first.company.id
        expect(server.db.all("res.partner")[0]).toMatchObject({
          id: company,
          is_company: true,
          name: "Globex",
          website: "https://globex.example",
          phone: "+65 6000 0000",
          ref: "leadgraph:globex.example"
        })
        expect(first.company.fields).toEqual(["is_company", "name", "phone", "ref", "website"])
        expect(first.contacts.map((c) => c.result.fields)).toEqual([
          ["email", "function", "is_company", "name", "parent_id", "type"],
          ["email", "is_company", "name", "parent_id", "phone", "type"],
          ["email", "function", "is_company", "name", "parent_id", "type"]
        ])
        expect(people(server)).toEqual([
          { parent: [company, "Globex"], name: "Ann Lee", email: "ann@globex.example", function: "CTO", phone: false },
          { parent: [company, "Globex"], name: "Bo Tan", email: "bo@globex.example", function: false, phone: "+65 8000 0001" },
          { parent: [company, "Globex"], name: "Cy Ng", email: "cy@globex.example", function: "Head of Sales", phone: false }
        ])
        expect(first.contacts.map((c) => c.result.id)).toEqual(server.db.all("res.partner").slice(1).map((p) => p.id))
        expect(server.db.all("crm.lead")).toMatchObject([
          { partner_id: [company, "Globex"], name: "Globex (leadgraph)", probability: 74, website: "https://globex.example" }
        ])
      })
    ))

  it.live("repeat export: two reads and nothing written; one changed contact: one write more", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const [first] = yield* callsOf(server, odoo.exportCompany(three))
        const records = { partners: server.db.all("res.partner"), leads: server.db.all("crm.lead") }

        const [again, repeat] = yield* callsOf(server, odoo.exportCompany(three))
        expect(repeat).toEqual({ "res.partner.search_read": 1, "crm.lead.search_read": 1 })
        expect(outcomes(again)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged", "unchanged"])
        expect(again.contacts.map((c) => c.result.id)).toEqual(first.contacts.map((c) => c.result.id))
        expect({ partners: server.db.all("res.partner"), leads: server.db.all("crm.lead") }).toEqual(records)

        const bo = new Odoo.Contact({ ...three.contacts[1]!, jobTitle: "CFO" })
        const changed = new Odoo.Export({ ...three, contacts: [three.contacts[0]!, bo, three.contacts[2]!] })
        const [updated, one] = yield* callsOf(server, odoo.exportCompany(changed))
        expect(one).toEqual({ "res.partner.search_read": 1, "res.partner.write": 1, "crm.lead.search_read": 1 })
        expect(outcomes(updated)).toEqual(["unchanged", "unchanged", "updated", "unchanged", "unchanged"])
        expect(updated.contacts[1]!.result).toMatchObject({ id: first.contacts[1]!.result.id, fields: ["function"] })
        expect(people(server).map((p) => p.function)).toEqual(["CTO", "CFO", "Head of Sales"])
        expect(server.db.stats()).toEqual({ creates: 5, writes: 1, changed: 1 })
      })
    ))

  it.live("contacts given the same new values share one write; a new contact joins an existing company", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        yield* odoo.exportCompany(three)
        const retitled = three.contacts.map((c) => new Odoo.Contact({ ...c, jobTitle: "Partner" }))
        const dee = contact({ email: "dee@globex.example", name: "Dee Ong" })
        const [result, calls] = yield* callsOf(
          server,
          odoo.exportCompany(new Odoo.Export({ ...three, contacts: [...retitled, dee] }))
        )
        expect(calls).toEqual({
          "res.partner.search_read": 1,
          "res.partner.create": 1,
          "res.partner.write": 1,
          "crm.lead.search_read": 1
        })
        expect(result.contacts.map((c) => c.result.outcome)).toEqual(["updated", "updated", "updated", "created"])
        expect(people(server).map((p) => [p.name, p.function])).toEqual([
          ["Ann Lee", "Partner"],
          ["Bo Tan", "Partner"],
          ["Cy Ng", "Partner"],
          ["Dee Ong", false]
        ])
      })
    ))

  it.live("a contact with the same email under another company is left alone", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const other = server.db.execute("res.partner", "create", [{ name: "Initech", is_company: true }], {}) as number
        server.db.execute("res.partner", "create", [{ name: "Ann Elsewhere", email: "ANN@globex.example", parent_id: other }], {})
        const result = yield* odoo.exportCompany(three)
        expect(result.contacts[0]!.result.outcome).toBe("created")
        expect(people(server).map((p) => [p.name, p.parent])).toEqual([
          ["Ann Elsewhere", [other, "Initech"]],
          ["Ann Lee", [result.company.id, "Globex"]],
          ["Bo Tan", [result.company.id, "Globex"]],
          ["Cy Ng", [result.company.id, "Globex"]]
        ])
      })
    ))

  it.live("without a lead (the tenant's createLeads off): no crm.lead call at all, and a lead made before is left alone", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const { lead: _, ...rest } = three
        const noLead = new Odoo.Export(rest)
        const [first, calls] = yield* callsOf(server, odoo.exportCompany(noLead))
        expect(calls).toEqual({ "common.login": 1, "res.partner.search_read": 1, "res.partner.create": 2 })
        expect(outcomes(first)).toEqual(["created", "created", "created", "created", undefined])
        expect(first.lead).toBeUndefined()
        expect(server.db.all("crm.lead")).toEqual([])

        const [again, repeat] = yield* callsOf(server, odoo.exportCompany(noLead))
        expect(repeat).toEqual({ "res.partner.search_read": 1 })
        expect(outcomes(again)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged", undefined])

        // a lead from an export with lead creation on is neither read nor written by one without
        yield* odoo.exportCompany(three)
        const leads = server.db.all("crm.lead")
        expect(leads).toHaveLength(1)
        const bo = new Odoo.Contact({ ...three.contacts[1]!, jobTitle: "CFO" })
        const changed = new Odoo.Export({ ...rest, contacts: [three.contacts[0]!, bo, three.contacts[2]!] })
        const [updated, one] = yield* callsOf(server, odoo.exportCompany(changed))
        expect(one).toEqual({ "res.partner.search_read": 1, "res.partner.write": 1 })
        expect(outcomes(updated)).toEqual(["unchanged", "unchanged", "updated", "unchanged", undefined])
        expect(server.db.all("crm.lead")).toEqual(leads)
      })
    ))

  it.effect("OdooFake.layer (in memory) exports without a lead the same way", () =>
    Effect.gen(function*() {
      const db = OdooDatabase.make()
      const odoo = yield* Effect.provide(Odoo.Odoo, OdooFake.layer(db))
      const { lead: _, ...rest } = three
      const result = yield* odoo.exportCompany(new Odoo.Export(rest))
      expect(outcomes(result)).toEqual(["created", "created", "created", "created", undefined])
      expect(db.all("res.partner")).toHaveLength(4)
      expect(db.all("crm.lead")).toEqual([])
    }))

  it.effect("a retried export whose answers were lost creates nothing twice and still reports its creates", () =>
    Effect.gen(function*() {
      const db = OdooDatabase.make()
      // Every call that writes is carried out, then its answer is lost once (a time-out after Odoo committed).
      const lost = new Set<string>()
      const execute: Upsert.Execute = (model, method, args, kwargs) =>
        Effect.suspend(() => {
          const result = db.execute(model, method, args, kwargs ?? {})
          const key = `${model}.${method}#${lost.size}`
          if (method === "search_read" || lost.has(key)) return Effect.succeed(result)
          lost.add(key)
          return Effect.fail(new Odoo.OdooError({ reason: "Timeout", detail: "the answer was lost" }))
        })
      const odoo = Upsert.makeService(execute, (self) => Effect.retry(self, { times: 5, while: (e) => e.retryable }))
      const result = yield* odoo.exportCompany(three)
      expect(outcomes(result)).toEqual(["created", "created", "created", "created", "created"])
      expect(lost).toEqual(new Set(["res.partner.create#0", "res.partner.create#1", "crm.lead.create#2"]))
      expect(db.all("res.partner")).toHaveLength(4)
      expect(db.all("crm.lead")).toHaveLength(1)
      expect(outcomes(yield* odoo.exportCompany(three))).toEqual(["unchanged", "unchanged", "unchanged", "unchanged", "unchanged"])
    }))
})
