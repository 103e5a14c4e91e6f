import { describe, expect, it } from "@effect/vitest"
import { Company, CompanyImport, Store, Tenant } from "@leadgraph/core"
import { Effect, Either, Stream } from "effect"

const row = (line: number, fields: Record<string, unknown>): CompanyImport.Row => ({ line, fields })
const accepted = (r: CompanyImport.Row) => Either.getOrThrow(CompanyImport.parseRow(r))
const rejected = (r: CompanyImport.Row) => Either.getOrThrowWith(Either.flip(CompanyImport.parseRow(r)), () => new Error("accepted"))

describe("CompanyImport.parseRow", () => {
  it("reads the known columns, whatever their case, and keeps the others as attributes", () => {
    const a = accepted(row(2, {
      " Name ": " Acme GmbH ",
      Domain: "HTTPS://www.Acme.example./about",
      Country: "Germany",
      size: "51-200",
      industry: "robotics",
      "CRM owner": "jane",
      employees: 120,
      notes: "  "
    }))
    expect(a.company).toMatchObject({
      name: "Acme GmbH",
      domain: "acme.example",
      website: null,
      country: "Germany",
      employeeRange: "51-200",
      industry: "robotics"
    })
    expect(a.attributes).toEqual({ "CRM owner": "jane", employees: "120" })
  })

  it("takes the domain from the website, and internationalised names as punycode", () => {
    expect(accepted(row(3, { name: "Bücher", website: "https://www.Bücher.example:8443/de/" })).company).toMatchObject({
      domain: "xn--bcher-kva.example",
      website: "https://www.Bücher.example:8443/de/"
    })
  })

  it("rejects a row it cannot use with its line and a reason", () => {
    expect(rejected(row(4, { domain: "acme.example" }))).toEqual({ line: 4, reason: "name is missing" })
    expect(rejected(row(5, { name: "Acme", domain: " " }))).toEqual({ line: 5, reason: "domain or website is missing" })
    expect(rejected(row(6, { name: "Acme", domain: "not a domain" }))).toEqual({
      line: 6,
      reason: "\"not a domain\" is not a domain name"
    })
    expect(rejected(row(7, { name: "Acme", domain: "localhost" })).reason).toBe("\"localhost\" is not a domain name")
  })
})

describe("CompanyImport.distinctBatches", () => {
  it("starts a new batch when a domain comes again, keeping the order", () => {
    const rows = ["a.example", "b.example", "a.example", "c.example", "c.example"].map((domain, i) =>
      accepted(row(i + 2, { name: `n${i}`, domain }))
    )
    expect(CompanyImport.distinctBatches(rows).map((b) => b.map((r) => r.line))).toEqual([[2, 3], [4, 5], [6]])
  })
})

describe("CompanyImport.run", () => {
  const tenantId = Tenant.TenantId.make("import")
  const file: ReadonlyArray<Either.Either<CompanyImport.Row, CompanyImport.Rejected>> = [
    Either.right(row(2, { name: "Acme", domain: "acme.example", country: "Germany" })),
    Either.right(row(3, { name: "Beta", website: "https://www.beta.example/" })),
    Either.left({ line: 4, reason: "not JSON" }),
    Either.right(row(5, { domain: "nameless.example" })),
    Either.right(row(6, { name: "Acme", domain: "ACME.example.", industry: "robotics" })),
    Either.right(row(7, { name: "Gamma", domain: "gamma.example", owner: "jane" }))
  ]

  it.effect("imports in batches, names each rejected line, and a second import of the same file changes nothing", () =>
    Effect.gen(function*() {
      const store = yield* Store.Store
      const tenant = store.forTenant(tenantId)
      yield* tenant.tenants.save({ name: "Import" })
      const first = yield* CompanyImport.run(tenant, Stream.fromIterable(file), { batchSize: 2 })
      // row 6 is row 2's company again: it adds the industry
      expect(first).toEqual({
        accepted: 4,
        added: 3,
        updated: 1,
        unchanged: 0,
        rejected: 2,
        rejections: [{ line: 4, reason: "not JSON" }, { line: 5, reason: "name is missing" }]
      })
      const [acme] = yield* tenant.companies.findByDomains([Company.Domain.make("acme.example")])
      expect(acme).toMatchObject({ name: "Acme", country: "Germany", industry: "robotics" })
      const again = yield* CompanyImport.run(tenant, Stream.fromIterable(file), { examples: 1 })
      expect(again).toMatchObject({ accepted: 4, added: 0, updated: 0, unchanged: 4, rejected: 2 })
      expect(again.rejections).toHaveLength(1)
    }).pipe(Effect.provide(Store.layerMemory())))
})
