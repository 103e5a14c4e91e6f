import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import type { FeatureValue } from "../../src/enrichment/Features.js"
import type { IcpRule } from "../../src/enrichment/IcpRule.js"
import * as Scoring from "../../src/enrichment/Scoring.js"

type Features = Record<string, FeatureValue>

const rule = (name: string, criteria: Features, weight = 1, active = true): IcpRule => ({ name, criteria, weight, active })

/** The one criterion result of a one-criterion rule. */
const check = (features: Features, key: string, wanted: FeatureValue) => {
  const result = Scoring.score(features, [rule("r", { [key]: wanted })])
  expect(result.contributions).toHaveLength(1)
  const [c] = result.contributions[0]!.criteria
  expect(result.score).toBe(c!.matched ? 100 : 0)
  return c!
}
const matches = (features: Features, key: string, wanted: FeatureValue) => check(features, key, wanted).matched

describe("Scoring criteria", () => {
  it("_min and _max compare the feature without the suffix, as a number", () => {
    expect(matches({ employee_count: 120 }, "employee_count_min", 50)).toBe(true)
    expect(matches({ employee_count: 50 }, "employee_count_min", 50)).toBe(true)
    expect(matches({ employee_count: 12 }, "employee_count_min", 50)).toBe(false)
    expect(matches({ employee_count: null }, "employee_count_min", 50)).toBe(false)
    expect(matches({}, "employee_count_min", 0)).toBe(false)
    expect(matches({ employee_count: "120" }, "employee_count_min", 50)).toBe(false)
    expect(matches({ employee_count: 500 }, "employee_count_max", 500)).toBe(true)
    expect(matches({ employee_count: 501 }, "employee_count_max", 500)).toBe(false)
    expect(matches({ employee_count_min: 50 }, "employee_count_min", 50)).toBe(false)
    expect(check({ employee_count: 12 }, "employee_count_min", 50)).toEqual({
      key: "employee_count_min",
      wanted: 50,
      actual: 12,
      matched: false
    })
  })

  it("a _min key with a value that is not a number is read literally", () => {
    expect(matches({ plan_min: "gold" }, "plan_min", "Gold")).toBe(true)
    expect(matches({ plan: 5 }, "plan_min", "5")).toBe(false)
    expect(matches({}, "_min", 3)).toBe(false)
    expect(matches({ _min: 3 }, "_min", 3)).toBe(true)
  })

  it("an array of strings matches a string feature in it or an array feature sharing one, trimmed and case-insensitive", () => {
    expect(matches({ country: "de" }, "country", ["DE", "Germany"])).toBe(true)
    expect(matches({ country: " Germany " }, "country", ["DE", "germany"])).toBe(true)
    expect(matches({ country: "FR" }, "country", ["DE", "Germany"])).toBe(false)
    expect(matches({ technologies: ["Stripe", "Shopify "] }, "technologies", ["shopify", "magento"])).toBe(true)
    expect(matches({ technologies: ["Stripe"] }, "technologies", ["shopify", "magento"])).toBe(false)
    expect(matches({ technologies: [] }, "technologies", ["shopify"])).toBe(false)
    expect(matches({ technologies: ["shopify"] }, "technologies", [])).toBe(false)
    expect(matches({ country: null }, "country", ["DE"])).toBe(false)
    expect(matches({}, "country", ["DE"])).toBe(false)
    expect(matches({ contacts: 3 }, "contacts", ["3"])).toBe(false)
    expect(matches({ has_website: true }, "has_website", ["true"])).toBe(false)
  })

  it("a string is an array of that one string", () => {
    expect(matches({ industry: "Software" }, "industry", " software")).toBe(true)
    expect(matches({ products: ["CRM", "ERP"] }, "products", "erp")).toBe(true)
    expect(matches({ industry: "Retail" }, "industry", "software")).toBe(false)
    expect(matches({ industry: null }, "industry", "software")).toBe(false)
  })

  it("a number or a boolean must equal the feature", () => {
    expect(matches({ contacts: 0 }, "contacts", 0)).toBe(true)
    expect(matches({ contacts: 1 }, "contacts", 0)).toBe(false)
    expect(matches({ contacts: "0" }, "contacts", 0)).toBe(false)
    expect(matches({}, "contacts", 0)).toBe(false)
    expect(matches({ has_website: true }, "has_website", true)).toBe(true)
    expect(matches({ has_website: false }, "has_website", true)).toBe(false)
    expect(matches({ has_website: false }, "has_website", false)).toBe(true)
    expect(matches({}, "has_website", false)).toBe(false)
    expect(matches({ has_website: 1 }, "has_website", true)).toBe(false)
  })

  it("null matches a missing or null feature only", () => {
    expect(matches({}, "city", null)).toBe(true)
    expect(matches({ city: null }, "city", null)).toBe(true)
    expect(matches({ city: "Berlin" }, "city", null)).toBe(false)
    expect(matches({ socials: [] }, "socials", null)).toBe(false)
    expect(matches({ contacts: 0 }, "contacts", null)).toBe(false)
    expect(matches({ has_website: false }, "has_website", null)).toBe(false)
    // inherited properties are not features
    expect(matches({}, "toString", null)).toBe(true)
    expect(check({}, "constructor", ["Object"]).actual).toBe(null)
  })
})

describe("Scoring.score", () => {
  const acme: Features = {
    industry: "Software",
    employee_count: 12,
    country: "DE",
    technologies: ["Shopify", "Stripe"],
    has_website: true,
    contacts: 3
  }

  it("weighs matched active rules against all active rules; contributions in name order", () => {
    const result = Scoring.score(acme, [
      rule("Software", { industry: ["software", "saas"] }, 40),
      rule("Headcount 50+", { employee_count_min: 50 }, 30),
      rule("Germany", { country: "de", has_website: true }, 30)
    ])
    expect(result.score).toBe(70)
    expect(result.bucket).toBe("high")
    expect(result.contributions.map((c) => [c.rule, c.matched, c.points])).toEqual([
      ["Germany", true, 30],
      ["Headcount 50+", false, 0],
      ["Software", true, 40]
    ])
    expect(result.contributions[0]!.criteria.map((c) => c.key)).toEqual(["country", "has_website"])
    expect(result.rulesVersion).toMatch(/^icp-[0-9a-f]{16}$/)
  })

  it("needs every criterion of a rule; a rule with no criteria never matches", () => {
    const both = rule("both", { industry: "software", employee_count_min: 50 })
    expect(Scoring.score(acme, [both]).score).toBe(0)
    expect(Scoring.score({ ...acme, employee_count: 80 }, [both]).score).toBe(100)
    const empty = Scoring.score(acme, [rule("empty", {}), rule("sw", { industry: "software" })])
    expect(empty.score).toBe(50)
    expect(empty.contributions[0]).toEqual({ rule: "empty", weight: 1, matched: false, points: 0, criteria: [] })
  })

  it("rounds the score to an integer and points to one decimal", () => {
    const result = Scoring.score(acme, [rule("a", { industry: "software" }, 1), rule("b", { industry: "retail" }, 2)])
    expect(result.score).toBe(33)
    expect(result.bucket).toBe("low")
    expect(result.contributions.map((c) => c.points)).toEqual([33.3, 0])
    const twoThirds = Scoring.score(acme, [rule("a", { industry: "software" }, 2), rule("b", { industry: "retail" }, 1)])
    expect(twoThirds.score).toBe(67)
    expect(twoThirds.bucket).toBe("medium")
    expect(twoThirds.contributions[0]!.points).toBe(66.7)
  })

  it("ignores inactive rules in the score, the contributions and the version", () => {
    const rules = [rule("sw", { industry: "software" }, 10), rule("big", { employee_count_min: 50 }, 10)]
    const withInactive = [...rules, rule("off", { industry: "retail" }, 90, false), rule("sw", {}, 5, false)]
    expect(Scoring.score(acme, rules).score).toBe(50)
    expect(Scoring.score(acme, withInactive)).toEqual(Scoring.score(acme, rules))
    expect(Scoring.rulesVersion(withInactive)).toBe(Scoring.rulesVersion(rules))
    expect(Scoring.rulesVersion([rules[0]!, { ...rules[1]!, active: false }])).not.toBe(Scoring.rulesVersion(rules))
  })

  it("scores 0 (low) with no active rules or a total weight of 0", () => {
    const none = Scoring.score(acme, [])
    expect(none).toEqual({ score: 0, bucket: "low", contributions: [], rulesVersion: Scoring.rulesVersion([]) })
    expect(Scoring.score(acme, [rule("off", { industry: "software" }, 10, false)]).score).toBe(0)
    const zero = Scoring.score(acme, [rule("sw", { industry: "software" }, 0)])
    expect(zero.score).toBe(0)
    expect(zero.contributions[0]).toMatchObject({ matched: true, points: 0 })
  })

  it("gives a result the Schema decodes and encodes back", () => {
    const result = Scoring.score(acme, [rule("sw", { industry: "software", city: null }, 3), rule("n", { contacts_min: 5 })])
    const encoded = Schema.encodeSync(Scoring.Result)(result)
    expect(Schema.decodeUnknownSync(Scoring.Result)(JSON.parse(JSON.stringify(encoded)))).toEqual(result)
  })

  it("buckets by the thresholds", () => {
    expect([100, 70, 69.5, 69, 40, 39, 0].map(Scoring.bucketOf)).toEqual(["high", "high", "medium", "medium", "medium", "low", "low"])
    expect(Scoring.thresholds).toEqual({ high: 70, medium: 40 })
  })

  it("rulesVersion ignores the order of rules and of criteria keys, and sees every change", () => {
    const a = rule("a", { industry: "software", employee_count_min: 50 }, 10)
    const b = rule("b", { country: ["DE", "AT"] }, 5)
    const v = Scoring.rulesVersion([a, b])
    expect(Scoring.rulesVersion([b, a])).toBe(v)
    expect(Scoring.rulesVersion([{ ...a, criteria: { employee_count_min: 50, industry: "software" } }, b])).toBe(v)
    expect(Scoring.rulesVersion([a, { ...b, weight: 6 }])).not.toBe(v)
    expect(Scoring.rulesVersion([a, { ...b, name: "c" }])).not.toBe(v)
    expect(Scoring.rulesVersion([a, { ...b, criteria: { country: ["DE"] } }])).not.toBe(v)
    expect(Scoring.rulesVersion([a, b, b])).not.toBe(v)
    expect(Scoring.rulesVersion([a])).not.toBe(v)
  })
})

describe("Scoring.templateRationale", () => {
  it("lists matches with points and misses with the criteria that failed", () => {
    const result = Scoring.score(
      { industry: "Software", employee_count: 12, country: "DE", technologies: [] },
      [
        rule("Software industry", { industry: "software" }, 40),
        rule("DACH", { country: ["DE", "AT", "CH"] }, 32),
        rule("Headcount 50+", { employee_count_min: 50, industry: "software" }, 18),
        rule("Shop", { technologies: ["shopify", "magento"], city: null, has_website: true }, 10),
        rule("Nothing", {}, 0)
      ]
    )
    expect(Scoring.templateRationale(result)).toBe(
      "Score 72 (high). Matches: DACH (+32), Software industry (+40). " +
        "Misses: Headcount 50+ (employee_count_min: wanted ≥ 50, got 12), " +
        "Nothing (no criteria), " +
        "Shop (has_website: wanted true, got none; technologies: wanted one of shopify, magento, got none)."
    )
  })

  it("says so when there is nothing to explain", () => {
    expect(Scoring.templateRationale(Scoring.score({}, []))).toBe("Score 0 (low). No active ICP rules.")
    expect(Scoring.templateRationale(Scoring.score({ employee_count: 900 }, [rule("small", { employee_count_max: 50 })])))
      .toBe("Score 0 (low). Misses: small (employee_count_max: wanted ≤ 50, got 900).")
    expect(Scoring.templateRationale(Scoring.score({ socials: ["LinkedIn"] }, [rule("li", { socials: "linkedin" })])))
      .toBe("Score 100 (high). Matches: li (+100).")
  })
})

// --- properties --------------------------------------------------------------

const word = fc.constantFrom("software", "Software ", "retail", "DE", "de", "Germany", "shopify", "Stripe", "crm")
const featureArb: fc.Arbitrary<Features> = fc.record(
  {
    industry: fc.option(word, { nil: null }),
    employee_count: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
    country: fc.option(word, { nil: null }),
    technologies: fc.array(word, { maxLength: 3 }),
    has_website: fc.boolean(),
    contacts: fc.integer({ min: 0, max: 4 })
  },
  { requiredKeys: [] }
)
const keyArb = fc.constantFrom("industry", "employee_count", "country", "technologies", "has_website", "contacts", "city")
const wantedArb: fc.Arbitrary<FeatureValue> = fc.oneof(
  word,
  fc.array(word, { maxLength: 3 }),
  fc.integer({ min: 0, max: 4 }),
  fc.boolean(),
  fc.constant(null)
)
const criterionArb: fc.Arbitrary<readonly [string, FeatureValue]> = fc.oneof(
  fc.tuple(keyArb, wantedArb),
  fc.tuple(fc.constantFrom("employee_count_min", "employee_count_max", "contacts_min"), fc.integer({ min: 0, max: 400 }))
)
const ruleArb: fc.Arbitrary<IcpRule> = fc.record({
  // few names, so rules often share one
  name: fc.constantFrom("a", "b", "Headcount", "DACH"),
  criteria: fc.array(criterionArb, { maxLength: 3 }).map((cs) => Object.fromEntries(cs)),
  weight: fc.integer({ min: 0, max: 100 }),
  active: fc.constant(true)
})
// mostly active rules: a quarter inactive
const rulesArb = fc.array(
  fc.tuple(ruleArb, fc.integer({ min: 0, max: 3 })).map(([r, n]) => ({ ...r, active: n > 0 })),
  { maxLength: 8 }
)

/** The same rules in another order, each with its criteria keys in another order. */
const shuffled = (rules: ReadonlyArray<IcpRule>) =>
  fc.shuffledSubarray([...rules], { minLength: rules.length, maxLength: rules.length }).map((rs) =>
    rs.map((r) => ({ ...r, criteria: Object.fromEntries(Object.entries(r.criteria).reverse()) }))
  )
const rulesAndShuffle = rulesArb.chain((rules) => fc.tuple(fc.constant(rules), shuffled(rules)))

/** A rule whose criteria are copied from the features, so it must match them. */
const copiedRule = (features: Features) =>
  fc.record({
    keys: fc.subarray(Object.keys(features), { minLength: 1 }),
    weight: fc.integer({ min: 0, max: 100 }),
    name: fc.constantFrom("a", "copy", "z")
  }).map(({ keys, name, weight }): IcpRule => {
    const criteria: Features = {}
    for (const k of keys) {
      const v = features[k]!
      if (typeof v === "number") criteria[`${k}_${v % 2 === 0 ? "min" : "max"}`] = v
      else if (typeof v === "string") criteria[k] = [`  ${v.toUpperCase()} `, "zzz"]
      else if (Array.isArray(v)) {
        // an empty array feature shares nothing with any criterion
        if (v.length > 0) criteria[k] = v[v.length - 1]!.toLowerCase()
      } else criteria[k] = v
    }
    if (Object.keys(criteria).length === 0) criteria["no_such_feature"] = null
    return { name, criteria, weight, active: true }
  })

const nonEmptyFeatures = featureArb.filter((f) => Object.keys(f).length > 0)

describe("Scoring properties", () => {
  it.prop("the score is an integer in 0..100 and its bucket is bucketOf(score)", { f: featureArb, rules: rulesArb }, ({ f, rules }) => {
    const result = Scoring.score(f, rules)
    expect(Number.isInteger(result.score)).toBe(true)
    expect(result.score).toBeGreaterThanOrEqual(0)
    expect(result.score).toBeLessThanOrEqual(100)
    expect(result.bucket).toBe(Scoring.bucketOf(result.score))
    expect(Schema.decodeUnknownSync(Scoring.Result)(Schema.encodeSync(Scoring.Result)(result))).toEqual(result)
  })

  it.prop(
    "the score is round(100 * matched weight / total weight) over active rules; points are shares of it",
    { f: featureArb, rules: rulesArb },
    ({ f, rules }) => {
      const result = Scoring.score(f, rules)
      const active = rules.filter((r) => r.active)
      expect(result.contributions.map((c) => c.rule)).toEqual(active.map((r) => r.name).sort())
      const total = active.reduce((s, r) => s + r.weight, 0)
      const won = result.contributions.filter((c) => c.matched).reduce((s, c) => s + c.weight, 0)
      expect(result.score).toBe(total === 0 ? 0 : Math.round((100 * won) / total))
      const points = result.contributions.reduce((s, c) => s + c.points, 0)
      expect(Math.abs(points - result.score)).toBeLessThanOrEqual(0.5 + 0.05 * result.contributions.length + 1e-9)
      for (const c of result.contributions) {
        expect(c.matched).toBe(c.criteria.length > 0 && c.criteria.every((x) => x.matched))
        if (!c.matched) expect(c.points).toBe(0)
      }
    }
  )

  it.prop("permuting the rules and their criteria keys gives the same result", { f: featureArb, rs: rulesAndShuffle }, ({ f, rs: [rules, perm] }) => {
    expect(Scoring.score(f, perm)).toEqual(Scoring.score(f, rules))
    expect(Scoring.rulesVersion(perm)).toBe(Scoring.rulesVersion(rules))
  })

  it.prop(
    "a rule copied from the features matches them; adding it never lowers the score",
    { input: nonEmptyFeatures.chain((f) => fc.tuple(fc.constant(f), copiedRule(f), rulesArb)) },
    ({ input: [f, copy, rules] }) => {
      const alone = Scoring.score(f, [copy])
      expect(alone.contributions[0]!.matched).toBe(true)
      expect(Scoring.score(f, [...rules, copy]).score).toBeGreaterThanOrEqual(Scoring.score(f, rules).score)
    }
  )

  it.prop(
    "adding a rule that misses never raises the score; adding an inactive rule changes nothing",
    { f: featureArb, extra: ruleArb, rules: rulesArb },
    ({ f, extra, rules }) => {
      const before = Scoring.score(f, rules)
      const missing = { ...extra, active: true, criteria: { ...extra.criteria, no_such_feature: "x" } }
      expect(Scoring.score(f, [...rules, missing]).score).toBeLessThanOrEqual(before.score)
      expect(Scoring.score(f, [...rules, { ...extra, active: false }])).toEqual(before)
    }
  )

  it.prop(
    "rulesVersion changes when an active rule's weight changes",
    { rules: rulesArb, i: fc.nat(), delta: fc.integer({ min: 1, max: 100 }) },
    ({ delta, i, rules }) => {
      const active = rules.flatMap((r, j) => (r.active ? [j] : []))
      if (active.length === 0) return
      const j = active[i % active.length]!
      const changed = rules.map((r, k) => (k === j ? { ...r, weight: (r.weight + delta) % 101 } : r))
      expect(Scoring.rulesVersion(changed)).not.toBe(Scoring.rulesVersion(rules))
      expect(Scoring.score({}, changed).rulesVersion).toBe(Scoring.rulesVersion(changed))
    }
  )
})
