/**
 * The lead export as text streams: CSV with its header, fields quoted when
 * they hold commas, quotes or line breaks; JSON as one valid array, empty
 * or not, also from the memory store's `exportScores`. Any row read back by
 * `csv-parse` gives its values, neutralised where a spreadsheet would run
 * them as formulas.
 */
import { describe, expect, it } from "@effect/vitest"
import { Company, LeadExport, Score, Store, Tenant } from "@leadgraph/core"
import { parse } from "csv-parse/sync"
import { Chunk, Effect, FastCheck as fc, Schema, Stream } from "effect"

const row = (n: number, fields: Partial<Record<"name" | "website" | "rationale", string | null>> = {}) =>
  Schema.decodeUnknownSync(Score.ScoredLead)({
    companyId: `00000000-0000-4000-8000-00000000000${n}`,
    name: `Company ${n}`,
    domain: `c${n}.example`,
    website: `https://c${n}.example/`,
    score: 90 - n,
    bucket: "high",
    rationale: null,
    scoredAt: new Date(Date.UTC(2026, 2, 2, 4, 0, n)),
    ...fields
  })

const text = <E>(stream: Stream.Stream<string, E>) => Effect.map(Stream.runCollect(stream), (c) => Chunk.join(c, ""))

const header = "company_id,name,domain,website,score,bucket,rationale,scored_at\r\n"

describe("LeadExport", () => {
  it.effect("CSV: a header, then one CRLF line per row; commas, quotes and line breaks quoted, quotes doubled", () =>
    Effect.gen(function*() {
      const csv = yield* text(LeadExport.csv(Stream.make(
        row(1, { name: "Acme, Inc.", rationale: "He said \"robots\"" }),
        row(2, { rationale: "line one\nline two", website: null }),
        row(3, { name: "Carriage\rReturn", rationale: "plain" })
      )))
      expect(csv).toBe(
        header +
          "00000000-0000-4000-8000-000000000001,\"Acme, Inc.\",c1.example,https://c1.example/,89,high,\"He said \"\"robots\"\"\",2026-03-02T04:00:01.000Z\r\n" +
          "00000000-0000-4000-8000-000000000002,Company 2,c2.example,,88,high,\"line one\nline two\",2026-03-02T04:00:02.000Z\r\n" +
          "00000000-0000-4000-8000-000000000003,\"Carriage\rReturn\",c3.example,https://c3.example/,87,high,plain,2026-03-02T04:00:03.000Z\r\n"
      )
      // no rows: the header alone
      expect(yield* text(LeadExport.csv(Stream.empty))).toBe(header)
      expect(LeadExport.csvField(null)).toBe("")
      expect(LeadExport.csvField("\"")).toBe("\"\"\"\"")
    }))

  it("neutralises cells a spreadsheet would run as formulas (OWASP CSV injection), not numbers", () => {
    expect(["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"].map(LeadExport.csvField)).toEqual([
      "\"'=HYPERLINK(\"\"http://x\"\")\"",
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\tcmd",
      "\"'\rcmd\""
    ])
    expect(LeadExport.csvField(-5)).toBe("-5")
    expect(LeadExport.csvField("Acme = good")).toBe("Acme = good")
  })

  it("neutralises the full-width formula signs too, and leaves a formula sign inside a text alone", () => {
    expect(["\uFF1D1+1", "\uFF0B1", "\uFF0D1", "\uFF20A1", "a=b", " =1"].map(LeadExport.csvField)).toEqual([
      "'\uFF1D1+1",
      "'\uFF0B1",
      "'\uFF0D1",
      "'\uFF20A1",
      "a=b",
      " =1"
    ])
  })

  /** Texts dense in what CSV quoting and formula neutralisation act on. */
  const tricky = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string({ unit: fc.constantFrom("=", "+", "-", "@", "\t", "\r", "\n", "\"", ",", "'", " ", "a", "1", "\uFF1D", "\uFF0D", "é") })
  )
  /** What a spreadsheet is given for a text cell: a leading `'` before a formula sign. */
  const neutralised = (s: string) => /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(s) ? `'${s}` : s

  it.effect.prop(
    "any row read back by csv-parse gives the same (neutralised) values",
    {
      rows: fc.array(
        fc.record({
          n: fc.integer({ min: 1, max: 9 }),
          name: tricky,
          website: fc.option(tricky, { nil: null }),
          rationale: fc.option(tricky, { nil: null })
        }),
        { maxLength: 5 }
      )
    },
    ({ rows }) =>
      Effect.gen(function*() {
        const leads = rows.map(({ n, ...fields }) => row(n, fields))
        // any line end ends a record outside quotes, as in a spreadsheet
        const parsed: Array<Array<string>> = parse(yield* text(LeadExport.csv(Stream.fromIterable(leads))), {
          record_delimiter: ["\r\n", "\n", "\r"]
        })
        expect(parsed).toEqual([
          [...LeadExport.columns],
          ...leads.map((lead) => [
            lead.companyId,
            neutralised(lead.name),
            lead.domain,
            lead.website === null ? "" : neutralised(lead.website),
            String(lead.score),
            lead.bucket,
            lead.rationale === null ? "" : neutralised(lead.rationale),
            lead.scoredAt.toISOString()
          ])
        ])
      }),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect("CSV streams: an endless stream of rows gives its first lines", () =>
    Effect.gen(function*() {
      const lines = yield* text(LeadExport.csv(Stream.repeatValue(row(1))).pipe(Stream.take(3)))
      expect(lines.split("\r\n").slice(0, 2)).toEqual([header.trimEnd(), expect.stringContaining("c1.example")])
    }))

  it.effect("JSON: one valid array for 0 and for 3 rows", () =>
    Effect.gen(function*() {
      const empty = yield* text(LeadExport.json(Stream.empty))
      expect(JSON.parse(empty)).toEqual([])

      const rows = [row(1, { name: "Acme, \"Inc.\"\n" }), row(2, { website: null }), row(3, { rationale: "Strong fit." })]
      const three = yield* text(LeadExport.json(Stream.fromIterable(rows)))
      const parsed = JSON.parse(three)
      expect(parsed).toHaveLength(3)
      expect(parsed).toEqual(rows.map(LeadExport.jsonRow))
      expect(parsed[0]).toEqual({
        companyId: "00000000-0000-4000-8000-000000000001",
        name: "Acme, \"Inc.\"\n",
        domain: "c1.example",
        website: "https://c1.example/",
        score: 89,
        bucket: "high",
        rationale: null,
        scoredAt: "2026-03-02T04:00:01.000Z"
      })
      // one element per chunk: the stream never builds the array
      expect((yield* Stream.runCollect(LeadExport.json(Stream.fromIterable(rows)))).length).toBe(4)

      // the same stream runs twice, each a whole array
      const twice = LeadExport.json(Stream.fromIterable(rows))
      expect(JSON.parse(yield* text(twice))).toHaveLength(3)
      expect(JSON.parse(yield* text(twice))).toHaveLength(3)
    }))

  it.effect("exports the memory store's scores, best first, at or above the threshold", () =>
    Effect.gen(function*() {
      const tenantId = Tenant.TenantId.make("acme")
      const store = (yield* Store.Store).forTenant(tenantId)
      yield* store.tenants.save({ name: "Acme" })
      yield* store.companies.upsert(["a.example", "b.example", "c.example"].map((domain) =>
        Schema.decodeUnknownSync(Company.CompanyInput)({ name: domain, domain, website: null })
      ))
      const companies = yield* store.companies.findByDomains(["a.example", "b.example", "c.example"].map((d) => Company.Domain.make(d)))
      yield* store.leads.upsertScores(companies.map((c, i) =>
        Schema.decodeUnknownSync(Score.LeadScore)({ companyId: c.id, score: [50, 80, 65][i], bucket: "medium", rationale: "a, b", scoredAt: new Date(0) })
      ))
      const csv = (yield* text(LeadExport.csv(store.exportScores(60)))).split("\r\n")
      expect(csv.map((l) => l.split(",")[2])).toEqual(["domain", "b.example", "c.example", undefined])
      expect(csv[1]).toContain(",\"a, b\",")
      const json = JSON.parse(yield* text(LeadExport.json(store.exportScores(60))))
      expect(json.map((r: { domain: string; score: number }) => [r.domain, r.score])).toEqual([["b.example", 80], ["c.example", 65]])
      expect(JSON.parse(yield* text(LeadExport.json(store.exportScores(100))))).toEqual([])
    }).pipe(Effect.provide(Store.layerMemory())))
})
