/**
 * The `export` step and the tenant's lead setting: with the run context's
 * `createLeads` on (the default) the step sends Odoo the company, its
 * verified contacts and a lead; with it off, the same company and contacts
 * and no lead at all. The Odoo here is a recording double of the port.
 */
import { describe, expect, it } from "@effect/vitest"
import { Odoo, Pipeline, RunContext, Scoring, Tenant } from "@leadgraph/core"
import type { Company } from "@leadgraph/core"
import { Effect, Layer, Option, Ref } from "effect"

const tenantId = Tenant.TenantId.make("lead-export")

const target: Company.Company = {
  id: "6f1c1a8e-2a4b-4c5d-8e9f-0a1b2c3d4e5f" as Company.CompanyId,
  tenantId,
  name: "Globex",
  domain: "globex.example" as Company.Domain,
  website: "https://globex.example",
  industry: "software",
  ssicCode: null,
  country: "SG",
  employeeRange: "11-50",
  lastSeen: null,
  lastEnrichedAt: null
}

const rules = [{ name: "sg", criteria: { country: "SG" }, weight: 1, active: true }]
const features = { country: "SG" }
const scored: Pipeline.Scored = { features, result: Scoring.score(features, rules) }

const input = {
  target,
  persist: { contacts: 1, emails: 1, score: scored.result.score, rationale: "template" as const },
  score: scored,
  contacts: Option.some([{
    fullName: "Ann Lee",
    email: "ann@globex.example",
    title: "CTO",
    phone: null,
    linkedinUrl: null,
    source: "lusha"
  }]),
  verify: Option.some([{
    email: "ann@globex.example",
    source: "lusha" as const,
    status: "valid" as const,
    subStatus: "",
    cached: false
  }]),
  rationale: Option.none(),
  crawl: Option.none()
}

/** An Odoo port that records each export and answers as a fresh Odoo would. */
const recordingOdoo = (sent: Ref.Ref<ReadonlyArray<Odoo.Export>>) => {
  const created = (id: number) => new Odoo.Upserted({ id, outcome: "created", fields: [] })
  return Layer.succeed(Odoo.Odoo, {
    upsertCompany: () => Effect.dieMessage("not used by the export step"),
    upsertContact: () => Effect.dieMessage("not used by the export step"),
    upsertLead: () => Effect.dieMessage("not used by the export step"),
    exportCompany: (e) =>
      Effect.as(
        Ref.update(sent, (xs) => [...xs, e]),
        new Odoo.Exported({
          company: created(1),
          contacts: e.contacts.map((c, i) => ({ email: c.email, result: created(2 + i) })),
          ...(e.lead === undefined ? {} : { lead: created(100) })
        })
      ),
    serverVersion: Effect.dieMessage("not used by the export step")
  })
}

const exportWith = (createLeads: boolean | undefined) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make<ReadonlyArray<Odoo.Export>>([])
    const result = yield* Pipeline.Export.run(input).pipe(
      Effect.provide(Layer.merge(
        recordingOdoo(sent),
        RunContext.layer({ tenantId, runId: "run-1", rules, ...(createLeads === undefined ? {} : { createLeads }) })
      ))
    )
    return { result, sent: yield* Ref.get(sent) }
  })

describe("Pipeline.Export and OdooConnection.createLeads", () => {
  it("creates leads by default", () => {
    expect(RunContext.defaults.createLeads).toBe(true)
  })

  it.effect("createLeads on (the default): the company, its verified contacts and one lead", () =>
    Effect.gen(function*() {
      for (const setting of [undefined, true]) {
        const { result, sent } = yield* exportWith(setting)
        expect(sent).toHaveLength(1)
        expect(sent[0]!.company.domain).toBe("globex.example")
        expect(sent[0]!.contacts.map((c) => c.email)).toEqual(["ann@globex.example"])
        expect(sent[0]!.lead).toMatchObject({ name: "Globex (leadgraph)", probability: scored.result.score })
        expect(result).toEqual({ exported: true, reason: null, contacts: 1, company: "created", lead: "created" })
      }
    }))

  it.effect("createLeads off: the same company and contacts, and no lead", () =>
    Effect.gen(function*() {
      const { result, sent } = yield* exportWith(false)
      expect(sent).toHaveLength(1)
      expect(sent[0]!.company.domain).toBe("globex.example")
      expect(sent[0]!.contacts.map((c) => c.email)).toEqual(["ann@globex.example"])
      expect(sent[0]!.lead).toBeUndefined()
      expect("lead" in sent[0]!).toBe(false)
      expect(result).toEqual({ exported: true, reason: null, contacts: 1, company: "created", lead: null })
    }))

  it.effect("createLeads off still honours the threshold and exportToOdoo: nothing is sent below them", () =>
    Effect.gen(function*() {
      const sent = yield* Ref.make<ReadonlyArray<Odoo.Export>>([])
      const run = (knobs: Partial<RunContext.Service>) =>
        Pipeline.Export.run(input).pipe(
          Effect.provide(Layer.merge(
            recordingOdoo(sent),
            RunContext.layer({ tenantId, runId: "run-2", rules, createLeads: false, ...knobs })
          ))
        )
      expect((yield* run({ exportToOdoo: false })).reason).toBe("export disabled")
      expect((yield* run({ scoreMinExport: 101 })).exported).toBe(false)
      expect(yield* Ref.get(sent)).toEqual([])
    }))
})
