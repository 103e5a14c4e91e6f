/**
 * Firmographics: what the pipeline learns about a company from its website
 * and web search, either extracted by the LLM ({@link Extraction}, the
 * schema the model answers) or read from the crawler's deterministic signals
 * when the LLM or its budget is unavailable ({@link fromSignals}).
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"
import type { Company } from "./Company.js"
import type { CrawlResult } from "./Crawler.js"

/**
 * The industries the extraction chooses from (an enum, so answers can be
 * compared and scored).
 *
 * @since 0.1.0
 * @category constants
 */
export const industries = [
  "robotics",
  "logistics",
  "analytics",
  "biotech",
  "foods",
  "health",
  "energy",
  "manufacturing",
  "consulting",
  "finance",
  "retail",
  "education",
  "construction",
  "media",
  "software",
  "other"
] as const

/**
 * Employee ranges, as LinkedIn and Lusha bucket them.
 *
 * @since 0.1.0
 * @category constants
 */
export const employeeRanges = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"] as const

/**
 * The schema the LLM answers (every field present; unknown ones `null` or
 * empty), with short descriptions that become part of the prompt's schema.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Extraction = Schema.Struct({
  industry: Schema.Literal(...industries).annotations({ description: "the company's main industry (other when none fits)" }),
  employees: Schema.NullOr(Schema.Int.pipe(Schema.between(1, 10_000_000))).annotations({
    description: "number of employees, when the text says"
  }),
  country: Schema.NullOr(Schema.String).annotations({ description: "country of the head office, in English" }),
  city: Schema.NullOr(Schema.String).annotations({ description: "city of the head office" }),
  products: Schema.Array(Schema.String).annotations({ description: "product or service names, at most 10" }),
  technologies: Schema.Array(Schema.String).annotations({ description: "technologies the company uses or sells, at most 10" }),
  description: Schema.NullOr(Schema.String).annotations({ description: "one sentence on what the company does" })
})

/**
 * @since 0.1.0
 * @category models
 */
export type Extraction = typeof Extraction.Type

/**
 * What the extract step outputs: the firmographics, where they came from,
 * and the tokens the LLM used (0 for signals).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Firmographics = Schema.Struct({
  source: Schema.Literal("llm", "signals"),
  industry: Schema.NullOr(Schema.String),
  employeeCount: Schema.NullOr(Schema.Number),
  employeeRange: Schema.NullOr(Schema.String),
  country: Schema.NullOr(Schema.String),
  city: Schema.NullOr(Schema.String),
  products: Schema.Array(Schema.String),
  technologies: Schema.Array(Schema.String),
  description: Schema.NullOr(Schema.String),
  tokens: Schema.NonNegativeInt
})

/**
 * @since 0.1.0
 * @category models
 */
export type Firmographics = typeof Firmographics.Type

/**
 * The range an employee count falls in.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rangeOf = (employees: number): string =>
  employees <= 10
    ? "1-10"
    : employees <= 50
    ? "11-50"
    : employees <= 200
    ? "51-200"
    : employees <= 500
    ? "201-500"
    : employees <= 1000
    ? "501-1000"
    : employees <= 5000
    ? "1001-5000"
    : "5001+"

const clean = (values: ReadonlyArray<string>, max: number): Array<string> => {
  const out: Array<string> = []
  const seen = new Set<string>()
  for (const v of values) {
    const t = v.trim().replace(/\s+/g, " ").slice(0, 120)
    const k = t.toLowerCase()
    if (t === "" || seen.has(k)) continue
    seen.add(k)
    out.push(t)
    if (out.length === max) break
  }
  return out
}

/**
 * Firmographics from an LLM extraction. The company's imported values win
 * (they come from the tenant's own records); what the model left empty (or
 * `other`) is filled from the crawl's signals.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromExtraction = (
  company: Company,
  e: Extraction,
  tokens: number,
  signals: Firmographics
): Firmographics => ({
  source: "llm",
  industry: company.industry ?? (e.industry === "other" ? signals.industry : e.industry),
  employeeCount: e.employees,
  employeeRange: company.employeeRange ?? (e.employees === null ? signals.employeeRange : rangeOf(e.employees)),
  country: company.country ?? e.country ?? signals.country,
  city: e.city ?? signals.city,
  products: clean(e.products, 10),
  technologies: clean(e.technologies, 10),
  description: e.description ?? signals.description,
  tokens
})

const industryIn = (text: string): string | null => {
  const lower = text.toLowerCase()
  let best: { readonly industry: string; readonly at: number } | undefined
  for (const industry of industries) {
    if (industry === "other") continue
    const at = lower.search(new RegExp(`\\b${industry}`))
    if (at >= 0 && (best === undefined || at < best.at)) best = { industry, at }
  }
  return best?.industry ?? null
}

/**
 * Deterministic firmographics from the crawl (and the company's imported
 * values) when the LLM cannot be used: the first industry the site's title,
 * description and headings name, the country of a postal address, nothing
 * guessed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSignals = (company: Company, crawl: Option.Option<CrawlResult>): Firmographics => {
  const pages = Option.match(crawl, { onNone: () => [], onSome: (c) => c.pages })
  const headline = pages.map((p) => `${p.title} ${p.description} ${p.headings.join(" ")}`).join(" ")
  const address = Option.match(crawl, { onNone: () => undefined, onSome: (c) => c.signals.addresses[0] })
  return {
    source: "signals",
    industry: company.industry ?? industryIn(headline),
    employeeCount: null,
    employeeRange: company.employeeRange,
    country: company.country ?? (address === undefined ? null : countryOf(address)),
    city: null,
    products: [],
    technologies: [],
    description: pages.find((p) => p.role === "home")?.description || null,
    tokens: 0
  }
}

const countries = [
  "Singapore",
  "United Kingdom",
  "Germany",
  "France",
  "Spain",
  "Canada",
  "Australia",
  "Netherlands",
  "United States",
  "Malaysia",
  "Indonesia",
  "India",
  "Japan"
]

const countryOf = (address: string): string | null => {
  const lower = address.toLowerCase()
  return countries.find((c) => lower.includes(c.toLowerCase())) ?? null
}
