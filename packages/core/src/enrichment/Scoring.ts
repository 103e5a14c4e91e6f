/**
 * Lead scoring: a company's features against its tenant's ideal customer
 * profile (ICP) rules. Pure and synchronous; the result is a Schema so the
 * scoring step can checkpoint it.
 *
 * ## Features
 *
 * The enrichment pipeline produces these features per company; rules are
 * written against them:
 *
 * | feature           | type                  | example                       |
 * | ----------------- | --------------------- | ----------------------------- |
 * | `industry`        | `string \| null`      | `"Software"`                  |
 * | `employee_count`  | `number \| null`      | `120`                         |
 * | `employee_range`  | `string \| null`      | `"51-200"`                    |
 * | `country`         | `string \| null`      | `"DE"` (ISO-2) or `"Germany"` |
 * | `city`            | `string \| null`      | `"Berlin"`                    |
 * | `products`        | `string[]`            | `["CRM", "Invoicing"]`        |
 * | `technologies`    | `string[]`            | `["Shopify", "Stripe"]`       |
 * | `contacts`        | `number`              | `4`                           |
 * | `verified_emails` | `number`              | `2`                           |
 * | `has_website`     | `boolean`             | `true`                        |
 * | `corpus_chars`    | `number`              | `18234`                       |
 * | `socials`         | `string[]`            | `["linkedin", "x"]`           |
 * | `source`          | `"llm" \| "signals"`  | `"llm"`                       |
 *
 * ## Criteria
 *
 * A rule's `criteria` maps keys to wanted values. Each criterion is checked
 * against the features as follows (a missing feature reads as `null`):
 *
 * - A key ending in `_min` or `_max` with a number: the feature named
 *   without the suffix must be a number `>=` (`_min`) or `<=` (`_max`) it.
 *   `{ employee_count_min: 50 }` matches `employee_count: 120` and misses
 *   `employee_count: 12`, `employee_count: null` and a missing count. The
 *   suffix wins over a feature that happens to be named `x_min`; with a
 *   non-number value the key is read literally.
 * - An array of strings: the feature, a string, is one of them, or the
 *   feature, an array, shares at least one with them. Comparison trims and
 *   ignores case. `{ country: ["DE", "Germany"] }` matches `country: "de"`;
 *   `{ technologies: ["shopify", "magento"] }` matches
 *   `technologies: ["Stripe", "Shopify "]`. An empty array never matches,
 *   and neither does a number, boolean or missing feature.
 * - A string: as an array of that one string. `{ industry: "software" }`
 *   matches `industry: "Software"`.
 * - A number or a boolean: the feature equals it. `{ has_website: true }`,
 *   `{ contacts: 0 }`.
 * - `null`: the feature is missing or `null`. `{ city: null }` matches a
 *   company with no known city (an empty array is not `null`).
 *
 * A rule matches when all of its criteria match; a rule with no criteria
 * never matches. Only active rules count: inactive ones are left out of the
 * score, the contributions and {@link rulesVersion}.
 *
 * ## Score
 *
 * `score = round(100 * matched weight / total weight)` over the active rules,
 * an integer from 0 to 100; 0 when there is no active rule or every weight is
 * 0. The result does not depend on the order of the rules.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { FeatureValue } from "./Features.js"
import type { IcpRule } from "./IcpRule.js"
import { ScoreValue } from "./Score.js"
import { hash } from "./internal/hash.js"

/**
 * How one criterion of a rule fared: the wanted value, the feature it was
 * checked against (`null` when missing; for `_min`/`_max` keys, the feature
 * without the suffix) and whether it matched.
 *
 * @since 0.1.0
 * @category models
 */
export const CriterionResult = Schema.Struct({
  key: Schema.String,
  wanted: FeatureValue,
  actual: FeatureValue,
  matched: Schema.Boolean
})

/**
 * @since 0.1.0
 * @category models
 */
export type CriterionResult = typeof CriterionResult.Type

/**
 * What one active rule contributed: its weight, whether it matched, its
 * share of the score in points (`100 * weight / total weight` when matched,
 * else 0, rounded to one decimal) and its criteria, in key order.
 *
 * @since 0.1.0
 * @category models
 */
export const Contribution = Schema.Struct({
  rule: Schema.String,
  weight: Schema.Number,
  matched: Schema.Boolean,
  points: Schema.Number,
  criteria: Schema.Array(CriterionResult)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Contribution = typeof Contribution.Type

/**
 * A score bucket: see {@link thresholds}.
 *
 * @since 0.1.0
 * @category models
 */
export const Bucket = Schema.Literal("high", "medium", "low")

/**
 * @since 0.1.0
 * @category models
 */
export type Bucket = typeof Bucket.Type

/**
 * A scoring result: the score, its bucket, one contribution per active rule
 * in rule-name order, and the {@link rulesVersion} of the rules used.
 *
 * @since 0.1.0
 * @category models
 */
export const Result = Schema.Struct({
  score: ScoreValue,
  bucket: Bucket,
  contributions: Schema.Array(Contribution),
  rulesVersion: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type Result = typeof Result.Type

/**
 * The lowest score of each bucket: 70 and up is `high`, 40 to 69 is
 * `medium`, below 40 is `low`.
 *
 * @since 0.1.0
 * @category constants
 */
export const thresholds = { high: 70, medium: 40 } as const

/**
 * The bucket of a score, by {@link thresholds}.
 *
 * @since 0.1.0
 * @category utils
 */
export const bucketOf = (score: number): Bucket =>
  score >= thresholds.high ? "high" : score >= thresholds.medium ? "medium" : "low"

// --- rules in a canonical form ---------------------------------------------

const canonicalCriteria = (criteria: IcpRule["criteria"]): ReadonlyArray<readonly [string, FeatureValue]> =>
  Object.keys(criteria).sort(compare).map((k) => [k, criteria[k]!] as const)

// One string per rule that ignores object key order; it orders rules with the
// same name and is what the rules version hashes.
const canonicalRule = (rule: IcpRule): string =>
  JSON.stringify([rule.name, rule.weight, canonicalCriteria(rule.criteria)])

// Code-unit order, not localeCompare: the same everywhere, whatever the locale.
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const activeSorted = (rules: ReadonlyArray<IcpRule>): ReadonlyArray<{ readonly rule: IcpRule; readonly canonical: string }> =>
  rules
    .filter((rule) => rule.active)
    .map((rule) => ({ rule, canonical: canonicalRule(rule) }))
    .sort((a, b) => compare(a.rule.name, b.rule.name) || compare(a.canonical, b.canonical))

/**
 * A version of a rule set: `"icp-"` plus 16 hex digits (64-bit FNV-1a) over
 * the active rules' names, weights and criteria. It does not depend on the
 * order of the rules or of their criteria keys, ignores inactive rules, and
 * changes when an active rule is added, removed, deactivated or edited.
 *
 * @since 0.1.0
 * @category utils
 */
export const rulesVersion = (rules: ReadonlyArray<IcpRule>): string => versionOf(activeSorted(rules))

const versionOf = (active: ReadonlyArray<{ readonly canonical: string }>): string =>
  "icp-" + hash(JSON.stringify(["icp/v1", active.map((r) => r.canonical)]))

// --- criteria --------------------------------------------------------------

const normalize = (s: string): string => s.trim().toLowerCase()

const featureOf = (features: Readonly<Record<string, FeatureValue>>, key: string): FeatureValue =>
  Object.hasOwn(features, key) ? (features[key] ?? null) : null

const boundOf = (key: string, wanted: FeatureValue): { readonly feature: string; readonly kind: "min" | "max" } | undefined => {
  if (typeof wanted !== "number") return undefined
  const m = /^(.+)_(min|max)$/.exec(key)
  return m ? { feature: m[1]!, kind: m[2] as "min" | "max" } : undefined
}

const matchCriterion = (
  features: Readonly<Record<string, FeatureValue>>,
  key: string,
  wanted: FeatureValue
): CriterionResult => {
  const bound = boundOf(key, wanted)
  if (bound !== undefined) {
    const actual = featureOf(features, bound.feature)
    const limit = wanted as number
    const matched = typeof actual === "number" && (bound.kind === "min" ? actual >= limit : actual <= limit)
    return { key, wanted, actual, matched }
  }
  const actual = featureOf(features, key)
  let matched: boolean
  if (wanted === null) {
    matched = actual === null
  } else if (typeof wanted === "string" || Array.isArray(wanted)) {
    const set = new Set((typeof wanted === "string" ? [wanted] : wanted).map(normalize))
    matched = typeof actual === "string"
      ? set.has(normalize(actual))
      : Array.isArray(actual) && actual.some((a) => set.has(normalize(a)))
  } else {
    matched = actual === wanted
  }
  return { key, wanted, actual, matched }
}

// --- score -----------------------------------------------------------------

const round1 = (n: number): number => Math.round(n * 10) / 10

/**
 * Scores features against rules (see the module comment for the criteria
 * and the formula). Pure: the same features and rules, in any order, give
 * the same result.
 *
 * @since 0.1.0
 * @category scoring
 */
export const score = (
  features: Readonly<Record<string, FeatureValue>>,
  rules: ReadonlyArray<IcpRule>
): Result => {
  const active = activeSorted(rules)
  const evaluated = active.map(({ rule }) => {
    const criteria = canonicalCriteria(rule.criteria).map(([k, v]) => matchCriterion(features, k, v))
    return { rule, criteria, matched: criteria.length > 0 && criteria.every((c) => c.matched) }
  })
  // Summed in the canonical order so the floating-point result does not
  // depend on the order the rules came in.
  let total = 0
  let won = 0
  for (const e of evaluated) {
    total += e.rule.weight
    if (e.matched) won += e.rule.weight
  }
  const value = total > 0 ? Math.min(100, Math.max(0, Math.round((100 * won) / total))) : 0
  return {
    score: ScoreValue.make(value),
    bucket: bucketOf(value),
    contributions: evaluated.map((e) => ({
      rule: e.rule.name,
      weight: e.rule.weight,
      matched: e.matched,
      points: e.matched && total > 0 ? round1((100 * e.rule.weight) / total) : 0,
      criteria: e.criteria
    })),
    rulesVersion: versionOf(active)
  }
}

// --- rationale -------------------------------------------------------------

const show = (v: FeatureValue): string =>
  v === null ? "none" : Array.isArray(v) ? (v.length === 0 ? "none" : v.join(", ")) : String(v)

const showWanted = (c: CriterionResult): string => {
  const bound = boundOf(c.key, c.wanted)
  if (bound !== undefined) return `${bound.kind === "min" ? "≥" : "≤"} ${c.wanted}`
  if (Array.isArray(c.wanted) && c.wanted.length > 1) return `one of ${c.wanted.join(", ")}`
  return show(c.wanted)
}

const showMiss = (c: Contribution): string => {
  if (c.criteria.length === 0) return `${c.rule} (no criteria)`
  const failed = c.criteria
    .filter((x) => !x.matched)
    .map((x) => `${x.key}: wanted ${showWanted(x)}, got ${show(x.actual)}`)
  return `${c.rule} (${failed.join("; ")})`
}

/**
 * A short readable explanation of a result, without an LLM: the score and
 * bucket, the matched rules with their points, and the missed rules with the
 * criteria that failed. For example `Score 72 (high). Matches: Software
 * (+40), Germany (+32). Misses: Headcount 50+ (employee_count: wanted ≥ 50,
 * got 12).`
 *
 * @since 0.1.0
 * @category scoring
 */
export const templateRationale = (result: Result): string => {
  const head = `Score ${result.score} (${result.bucket}).`
  if (result.contributions.length === 0) return `${head} No active ICP rules.`
  const matches = result.contributions.filter((c) => c.matched)
  const misses = result.contributions.filter((c) => !c.matched)
  const parts = [head]
  if (matches.length > 0) parts.push(`Matches: ${matches.map((c) => `${c.rule} (+${c.points})`).join(", ")}.`)
  if (misses.length > 0) parts.push(`Misses: ${misses.map(showMiss).join(", ")}.`)
  return parts.join(" ")
}
