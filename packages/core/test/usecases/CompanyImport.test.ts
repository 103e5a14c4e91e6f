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

describe("CompanyImport.mergeRepeats", () => {
  it("merges a company named again into its first row, as writing them in order would", () => {
    const rows = [
      accepted(row(2, { name: "A", domain: "a.example", country: "Germany", owner: "jane" })),
      accepted(row(3, { name: "B", domain: "b.example" })),
      accepted(row(4, { name: "A AG", domain: "A.example.", industry: "robotics", region: "south" }))
    ]
    const merged = CompanyImport.mergeRepeats(rows)
    expect(merged.repeated).toBe(1)
    expect(merged.rows.map((r) => [r.line, r.company.name, r.company.country, r.company.industry, r.attributes])).toEqual([
      [2, "A AG", "Germany", "robotics", { owner: "jane", region: "south" }],
      [3, "B", null, null, {}]
    ])
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
      // row 6 is row 2's company again, in another batch: it adds the industry
      expect(first).toEqual({
        accepted: 4,
        rejected: 2,
        added: 3,
        updated: 1,
        unchanged: 0,
        repeated: 0,
        rejections: [{ line: 4, reason: "not JSON" }, { line: 5, reason: "name is missing" }]
      })
      const [acme] = yield* tenant.companies.findByDomains([Company.Domain.make("acme.example")])
      expect(acme).toMatchObject({ name: "Acme", country: "Germany", industry: "robotics" })
      // one batch: rows 2 and 6 are merged, the company is written once
      const again = yield* CompanyImport.run(tenant, Stream.fromIterable(file), { examples: 1 })
      expect(again).toMatchObject({ accepted: 4, rejected: 2, added: 0, updated: 0, unchanged: 3, repeated: 1 })
      expect(CompanyImport.text(again)).toBe([
        "4 row(s) accepted, 2 rejected; companies: 0 added, 0 updated, 3 unchanged; 1 row(s) repeated a company above them",
        "  line 4: not JSON",
        "  … and 1 more"
      ].join("\n"))
      expect(again.rejections).toHaveLength(1)
    }).pipe(Effect.provide(Store.layerMemory())))
})
