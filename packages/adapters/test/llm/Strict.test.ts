import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as FakeModel from "../../src/llm/testing/FakeModel.js"
import * as Strict from "../../src/llm/internal/strict.js"

class Address extends Schema.Class<Address>("Address")({ city: Schema.String, zip: Schema.optional(Schema.String) }) {}

const Profile = Schema.Struct({
  name: Schema.String,
  employees: Schema.optional(Schema.Int),
  revenue: Schema.optional(Schema.NumberFromString),
  segment: Schema.Literal("smb", "mid", "enterprise"),
  tags: Schema.Array(Schema.String),
  hq: Address,
  offices: Schema.Array(Address),
  ceo: Schema.NullOr(Schema.String)
})

const strictOf = <A, I>(schema: Schema.Schema<A, I>) => {
  const result = Strict.make(schema)
  if (Either.isLeft(result)) throw new Error(result.left)
  return result.right
}

describe("strict JSON schemas from Effect Schemas", () => {
  it("requires every property, forbids extra ones and makes optional properties nullable", () => {
    const { strict } = strictOf(Profile)
    expect(Strict.violations(strict)).toEqual([])
    expect(strict.required).toEqual(["name", "employees", "revenue", "segment", "tags", "hq", "offices", "ceo"])
    expect(strict.additionalProperties).toBe(false)
    const props = strict.properties as Record<string, Record<string, unknown>>
    expect(props.employees!.anyOf).toEqual([{ $ref: "#/$defs/Int" }, { type: "null" }])
    expect(props.segment).toMatchObject({ type: "string", enum: ["smb", "mid", "enterprise"] })
    const address = (strict.$defs as Record<string, Record<string, unknown>>).Address!
    expect(address).toMatchObject({ required: ["city", "zip"], additionalProperties: false })
    expect("$schema" in strict).toBe(false)
  })

  it("refuses what strict mode cannot express", () => {
    expect(Either.getLeft(Strict.make(Schema.String))._tag).toBe("Some")
    const records = Strict.make(Schema.Struct({ m: Schema.Record({ key: Schema.String, value: Schema.Number }) }))
    expect(Either.isLeft(records) && records.left).toContain("records")
    const tuples = Strict.make(Schema.Struct({ t: Schema.Tuple(Schema.String, Schema.Number) }))
    expect(Either.isLeft(tuples)).toBe(true)
  })

  it("reports OpenAI's strict-mode violations", () => {
    expect(Strict.violations({ type: "array" })[0]).toContain("type: \"object\"")
    expect(Strict.violations({ type: "object", properties: { a: { type: "string" } }, required: ["a"] })[0])
      .toContain("'additionalProperties' is required to be supplied and to be false")
    expect(
      Strict.violations({
        type: "object",
        additionalProperties: false,
        required: ["a"],
        properties: { a: { type: "object", properties: { b: { type: "string" } }, required: [], additionalProperties: false } }
      })[0]
    ).toBe(
      "In context=('properties', 'a'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'."
    )
  })

  it("drops the nulls of optional properties only, at any depth", () => {
    const { original } = strictOf(Profile)
    const answer = {
      name: "Acme",
      employees: null,
      revenue: null,
      segment: "smb",
      tags: [],
      hq: { city: "Berlin", zip: null },
      offices: [{ city: "Munich", zip: null }],
      ceo: null
    }
    const cleaned = Strict.dropOptionalNulls(answer, original)
    expect(cleaned).toEqual({
      name: "Acme",
      segment: "smb",
      tags: [],
      hq: { city: "Berlin" },
      offices: [{ city: "Munich" }],
      ceo: null
    })
    expect(Schema.decodeUnknownEither(Profile)(cleaned)._tag).toBe("Right")
  })
})

describe("the fake model", () => {
  const { original, strict } = strictOf(Profile)
  const decode = Schema.decodeUnknownEither(Profile)

  it.prop("answers every text with a value the Schema decodes, the same each time", [Schema.String], ([text]) => {
    const a = FakeModel.generate(strict, text, "s")
    expect(FakeModel.generate(strict, text, "s")).toEqual(a)
    const decoded = decode(Strict.dropOptionalNulls(a, original))
    expect(decoded._tag).toBe("Right")
  })

  it("takes values from `key: value` lines and enums the text mentions", () => {
    const text = "Name: Acme GmbH\nemployees: 1,200\nrevenue: 3500000\nAn enterprise vendor.\ntags: crm, b2b\nceo: Jane Doe"
    const value = FakeModel.generate(strict, text, "s") as Record<string, unknown>
    expect(value).toMatchObject({ name: "Acme GmbH", employees: 1200, revenue: "3500000", segment: "enterprise", tags: ["crm", "b2b"], ceo: "Jane Doe" })
  })

  it("counts about four characters a token", () => {
    expect(FakeModel.tokensOf("x".repeat(400))).toBe(100)
    expect(FakeModel.promptTokens([{ content: "x".repeat(40) }], undefined)).toBe(3 + 4 + 10)
  })
})
