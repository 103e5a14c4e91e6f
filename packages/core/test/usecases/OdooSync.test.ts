/**
 * The Odoo sync over the memory store and an Odoo double that keeps its
 * records: only qualifying leads go, with only their verified (valid)
 * contacts; a second sync of unchanged data reports every lead unchanged;
 * a change is an update; a lead Odoo refuses is counted failed and the
 * others still go. `syncTenant` goes through the tenant's own active
 * connection, or refuses.
 */
import { describe, expect, it } from "@effect/vitest"
import { Company, Contact, LeadEmail, Odoo, OdooConnector, OdooSync, Score, Store, Tenant } from "@leadgraph/core"
import { ConfigError, Effect, Layer, Schema } from "effect"
import * as Ports from "./ports.js"

const tenantId = Tenant.TenantId.make("acme")
const at = new Date("2026-03-02T04:00:00Z")
const leadEmail = Schema.decodeUnknownSync(LeadEmail.LeadEmail)
const leadScore = Schema.decodeUnknownSync(Score.LeadScore)

/** Three scored companies: alpha 90 and beta 70 qualify at 60, gamma 30 does not. */
const seed = Effect.flatMap(Store.Store, (store) =>
  store.withTenant(tenantId, (t) =>
    Effect.gen(function*() {
      yield* t.tenants.save({ name: "Acme" })
      yield* t.companies.upsert(["alpha.example", "beta.example", "gamma.example"].map((domain) =>
        Schema.decodeUnknownSync(Company.CompanyInput)({ name: domain.split(".")[0], domain, website: `https://${domain}/` })
      ))
      const [alpha, beta, gamma] = yield* t.companies.findByDomains(
        ["alpha.example", "beta.example", "gamma.example"].map((d) => Company.Domain.make(d))
      )
      const people: ReadonlyArray<readonly [Company.Company, string, string, LeadEmail.VerificationStatus | null]> = [
        [alpha!, "ada@alpha.example", "Ada Lovelace", "valid"],
        [alpha!, "bob@alpha.example", "Bob Bounce", "invalid"],
        [alpha!, "cat@alpha.example", "Cat Catchall", "catch-all"],
        [beta!, "eve@beta.example", "Eve Valid", "valid"],
        [beta!, "zed@beta.example", "Zed Unverified", null],
        [gamma!, "gus@gamma.example", "Gus Low", "valid"]
      ]
      yield* t.leads.upsertContacts(people.map(([c, email, fullName]) =>
        Schema.decodeUnknownSync(Contact.ContactInput)({ companyId: c.id, email, fullName, title: "Head", source: "lusha" })
      ))
      yield* t.leads.upsertEmails([
        ...people.map(([c, email, , status]) =>
          leadEmail({ email, companyId: c.id, source: "lusha", status, verifiedAt: status === null ? null : at })
        ),
        leadEmail({ email: "info@alpha.example", companyId: alpha!.id, source: "crawl", status: "valid", verifiedAt: at })
      ])
      yield* t.leads.upsertScores([[alpha!, 90], [beta!, 70], [gamma!, 30]].map(([c, score]) =>
        leadScore({
          companyId: (c as Company.Company).id,
          score,
          bucket: (score as number) >= 70 ? "high" : "low",
          rationale: `Scored ${score}.`,
          scoredAt: at
        })
      ))
      return { alpha: alpha!, beta: beta! }
    })))

describe("OdooSync", () => {
  it.effect("exports qualifying leads with verified contacts only; a second sync reports every lead unchanged", () => {
    const calls = new Ports.Calls()
    const odoo = Ports.odoo(calls)
    return Effect.gen(function*() {
      yield* seed
      const store = (yield* Store.Store).forTenant(tenantId)

      const first = yield* OdooSync.sync(store, odoo.service, 60)
      expect(first).toEqual({ leads: 2, created: 2, updated: 0, unchanged: 0, failed: 0, minScore: 60 })
      expect(calls.snapshot()).toEqual({ "odoo.exportCompany": 2 })
      // gamma is below the threshold; the site's valid address on the company
      expect(Object.fromEntries([...odoo.records.companies].map(([d, r]) => [d, r.fields]))).toEqual({
        "alpha.example": { name: "alpha", website: "https://alpha.example/", email: "info@alpha.example" },
        "beta.example": { name: "beta", website: "https://beta.example/" }
      })
      // invalid, catch-all and unverified addresses never reach Odoo
      expect([...odoo.records.contacts.keys()].sort()).toEqual(["ada@alpha.example", "eve@beta.example"])
      expect([...odoo.records.leads.values()].map((r) => r.fields).sort((a, b) => String(a["name"]) < String(b["name"]) ? -1 : 1))
        .toEqual([
          { name: "alpha (leadgraph)", probability: 90, description: "Scored 90." },
          { name: "beta (leadgraph)", probability: 70, description: "Scored 70." }
        ])

      const second = yield* OdooSync.sync(store, odoo.service, 60)
      expect(second).toEqual({ leads: 2, created: 0, updated: 0, unchanged: 2, failed: 0, minScore: 60 })
      expect(odoo.records.companies.size + odoo.records.contacts.size + odoo.records.leads.size).toBe(6)
    }).pipe(Effect.provide(Store.layerMemory()))
  })

  it.effect("a tenant whose connection does not create leads gets companies and contacts, no lead", () => {
    const calls = new Ports.Calls()
    const odoo = Ports.odoo(calls)
    return Effect.gen(function*() {
      yield* seed
      const store = (yield* Store.Store).forTenant(tenantId)
      const result = yield* OdooSync.sync(store, odoo.service, 60, false)
      expect(result).toMatchObject({ leads: 2, created: 2, failed: 0 })
      expect(odoo.records.companies.size).toBe(2)
      expect([...odoo.records.contacts.keys()].sort()).toEqual(["ada@alpha.example", "eve@beta.example"])
      expect(odoo.records.leads.size).toBe(0)
    }).pipe(Effect.provide(Store.layerMemory()))
  })

  it.effect("a changed score is an update; a lead Odoo refuses is failed and the others still go", () => {
    const calls = new Ports.Calls()
    const odoo = Ports.odoo(calls)
    return Effect.gen(function*() {
      const { beta } = yield* seed
      const store = (yield* Store.Store).forTenant(tenantId)
      yield* OdooSync.sync(store, odoo.service, 60)

      yield* store.leads.upsertScores([
        leadScore({ companyId: beta.id, score: 75, bucket: "high", rationale: "Scored 75.", scoredAt: at })
      ])
      odoo.failing.add("alpha.example")
      const result = yield* OdooSync.sync(store, odoo.service, 60)
      expect(result).toEqual({ leads: 2, created: 0, updated: 1, unchanged: 0, failed: 1, minScore: 60 })
      expect([...odoo.records.leads.values()].map((r) => r.fields["probability"]).sort()).toEqual([75, 90])

      // a higher threshold leaves beta out
      odoo.failing.clear()
      expect(yield* OdooSync.sync(store, odoo.service, 80)).toEqual({ leads: 1, created: 0, updated: 0, unchanged: 1, failed: 0, minScore: 80 })
    }).pipe(Effect.provide(Store.layerMemory()))
  })

  it("a lead is created when its company or its lead is new, updated when anything else was written", () => {
    type O = Odoo.Outcome
    const upserted = (outcome: O) => new Odoo.Upserted({ id: 1, outcome, fields: [] })
    const exported = (company: O, contact: O, lead?: O) =>
      new Odoo.Exported({
        company: upserted(company),
        contacts: [{ email: "a@b.example", result: upserted(contact) }],
        ...(lead === undefined ? {} : { lead: upserted(lead) })
      })
    expect(OdooSync.outcomeOf(exported("created", "created", "created"))).toBe("created")
    expect(OdooSync.outcomeOf(exported("unchanged", "unchanged", "created"))).toBe("created")
    expect(OdooSync.outcomeOf(exported("unchanged", "created", "unchanged"))).toBe("updated")
    expect(OdooSync.outcomeOf(exported("unchanged", "unchanged", "updated"))).toBe("updated")
    expect(OdooSync.outcomeOf(exported("unchanged", "unchanged", "unchanged"))).toBe("unchanged")
    expect(OdooSync.outcomeOf(exported("unchanged", "unchanged"))).toBe("unchanged")
  })

  it.effect("syncTenant goes through the tenant's active connection, as it says about leads; without one it refuses", () => {
    const calls = new Ports.Calls()
    const odoo = Ports.odoo(calls)
    const connected: Array<string> = []
    const connector = Layer.succeed(OdooConnector.OdooConnector, {
      connect: (id, connection) => {
        connected.push(`${id} ${connection.url}`)
        return connection.url.includes("nosecret")
          ? Layer.fail(ConfigError.MissingData(["ODOO_SECRET"], "not set"))
          : Layer.succeed(Odoo.Odoo, odoo.service)
      }
    })
    return Effect.gen(function*() {
      yield* seed
      const store = (yield* Store.Store).forTenant(tenantId)
      const connection = { url: "https://odoo.example", database: "db", login: "bot", secretRef: "env:ODOO_SECRET" }
      expect((yield* Effect.flip(OdooSync.syncTenant(store, 60)))._tag).toBe("NoConnection")
      yield* store.tenants.saveOdooConnection({ ...connection, active: false })
      const refused = yield* Effect.flip(OdooSync.syncTenant(store, 60))
      expect(refused.message).toBe("the tenant has no active Odoo connection")
      expect(connected).toEqual([])

      yield* store.tenants.saveOdooConnection({ ...connection, active: true, createLeads: false })
      expect(yield* OdooSync.syncTenant(store, 60)).toMatchObject({ leads: 2, created: 2, failed: 0, minScore: 60 })
      expect(connected).toEqual(["acme https://odoo.example"])
      expect(odoo.records.leads.size).toBe(0)

      yield* store.tenants.saveOdooConnection({ ...connection, url: "https://nosecret.example", active: true })
      expect((yield* Effect.flip(OdooSync.syncTenant(store, 60)))._tag).toBe("ConfigError")
    }).pipe(Effect.provide(Layer.merge(Store.layerMemory(), connector)))
  })
})
