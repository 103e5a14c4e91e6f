import { describe, expect, it } from "@effect/vitest"
import * as OdooDatabase from "../../src/odoo/testing/OdooDatabase.js"

const seeded = () => {
  const db = OdooDatabase.make()
  const acme = db.execute("res.partner", "create", [{ name: "Acme", is_company: true, website: "acme.example" }], {})
  const ids = db.execute("res.partner", "create", [[
    { name: "Jane", email: "jane@acme.example", parent_id: acme },
    { name: "Joe", email: "JOE@acme.example", parent_id: acme, active: false }
  ]], {})
  return { db, acme: acme as number, ids: ids as Array<number> }
}

const raises = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (e instanceof OdooDatabase.OdooException) return e.exceptionName
    throw e
  }
  throw new Error("expected an Odoo exception")
}

describe("the fake Odoo's records", () => {
  it("creates from a dict (one id) or a list (ids) and reads Odoo's value conventions", () => {
    const { acme, db, ids } = seeded()
    expect(ids).toEqual([acme + 1, acme + 2])
    const [jane] = db.execute("res.partner", "read", [[ids[0]]], { fields: ["parent_id", "phone", "display_name", "company_type"] }) as Array<Record<string, unknown>>
    expect(jane).toEqual({ id: ids[0], parent_id: [acme, "Acme"], phone: false, display_name: "Acme, Jane", company_type: "person" })
    const [company] = db.execute("res.partner", "read", [[acme]], { fields: ["website", "child_ids"] }) as Array<Record<string, unknown>>
    // _clean_website adds a scheme; archived children are not listed.
    expect(company).toEqual({ id: acme, website: "http://acme.example", child_ids: [ids[0]] })
  })

  it("evaluates domains: =ilike, prefix operators, in, and hides archived records unless asked", () => {
    const { acme, db, ids } = seeded()
    const search = (domain: Array<unknown>) => db.execute("res.partner", "search", [domain], {})
    expect(search([["email", "=ilike", "JANE@ACME.EXAMPLE"]])).toEqual([ids[0]])
    expect(search([["email", "=ilike", "joe@acme.example"]])).toEqual([])
    expect(search([["email", "=ilike", "joe@acme.example"], ["active", "in", [true, false]]])).toEqual([ids[1]])
    expect(search(["|", ["is_company", "=", true], ["name", "ilike", "jan"]])).toEqual([acme, ids[0]])
    expect(search(["!", ["is_company", "=", true]])).toEqual([ids[0]])
    expect(search([["parent_id", "=", acme]])).toEqual([ids[0]])
    expect(search([["parent_id", "=", false]])).toEqual([acme])
    expect(db.execute("res.partner", "search_count", [[]], {})).toBe(2)
    expect(db.execute("res.partner", "search", [[]], { order: "id desc", limit: 1 })).toEqual([ids[0]])
  })

  it("wraps HTML fields, validates probability and raises Odoo's exceptions", () => {
    const { acme, db } = seeded()
    const lead = db.execute("crm.lead", "create", [{ name: "Acme", partner_id: acme, description: "Good fit" }], {})
    const [row] = db.execute("crm.lead", "search_read", [[["partner_id", "=", acme]]], { fields: ["description", "type", "probability"] }) as Array<Record<string, unknown>>
    expect(row).toEqual({ id: lead, description: "<p>Good fit</p>", type: "lead", probability: 10 })
    expect(raises(() => db.execute("crm.lead", "write", [[lead], { probability: 101 }], {}))).toBe("odoo.exceptions.ValidationError")
    expect(raises(() => db.execute("crm.lead", "write", [[4242], { name: "x" }], {}))).toBe("odoo.exceptions.MissingError")
    expect(raises(() => db.execute("crm.lead", "write", [[lead], { nope: 1 }], {}))).toBe("builtins.ValueError")
    expect(raises(() => db.execute("res.partner", "create", [{ email: "nameless@acme.example" }], {}))).toBe("odoo.exceptions.ValidationError")
    expect(raises(() => db.execute("sale.order", "search", [[]], {}))).toBe("builtins.KeyError")
    // A rejected write leaves the record as it was.
    expect(db.execute("crm.lead", "read", [[lead]], { fields: ["probability"] })).toEqual([{ id: lead, probability: 10 }])
  })

  it("creates or writes all the records of one call, or none", () => {
    const { acme, db, ids } = seeded()
    const bad = [{ name: "Ann", email: "ann@acme.example", parent_id: acme }, { email: "nameless@acme.example" }]
    expect(raises(() => db.execute("res.partner", "create", [bad], {}))).toBe("odoo.exceptions.ValidationError")
    expect(db.execute("res.partner", "search", [[["email", "=ilike", "ann@acme.example"]]], {})).toEqual([])
    expect(raises(() => db.execute("res.partner", "write", [[ids[0], 4242], { function: "CTO" }], {})))
      .toBe("odoo.exceptions.MissingError")
    expect(db.execute("res.partner", "read", [[ids[0]]], { fields: ["function"] })).toEqual([{ id: ids[0], function: false }])
    expect(db.all("res.partner")).toHaveLength(3)
    expect(db.stats()).toEqual({ creates: 3, writes: 0, changed: 0 })
  })
})
