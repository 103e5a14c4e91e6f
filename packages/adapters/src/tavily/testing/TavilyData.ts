/**
 * Deterministic Tavily data shared by the fake server and the in-memory fake
 * Layer: the same seed and query always give the same hits, the same seed
 * and URL the same page (or the same failure).
 *
 * @since 0.1.0
 */
import * as Prng from "../../internal/testing/Prng.js"

/**
 * A search hit in Tavily's wire shape.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireResult {
  readonly title: string
  readonly url: string
  readonly content: string
  readonly score: number
  readonly raw_content: string | null
}

const words: readonly [string, ...Array<string>] = ["software", "logistics", "platform", "analytics", "services", "solutions", "cloud", "payments"]
const pages: readonly [string, ...Array<string>] = ["about", "team", "careers", "contact", "news", "products"]

const slug = (text: string): string =>
  text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "company"

/**
 * The domain a query is "about": the first token that looks like a domain, or
 * a slug of the query under `.example`.
 *
 * @since 0.1.0
 * @category data
 */
export const domainOf = (query: string): string =>
  query.split(/\s+/).find((t) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(t))?.toLowerCase() ??
    `${slug(query.split(/\s+/).slice(0, 2).join(" "))}.example`

/**
 * The hits for a query: `maxResults` of them (fewer for some queries), by
 * descending score.
 *
 * @since 0.1.0
 * @category data
 */
export const search = (seed: number, query: string, maxResults: number, rawContent: boolean): ReadonlyArray<WireResult> => {
  const prng = Prng.forKey(seed, `search:${query}`)
  const domain = domainOf(query)
  const available = Prng.int(prng, 3, 20)
  const count = Math.min(maxResults, available)
  let score = 0.95 - prng() * 0.1
  return Array.from({ length: count }, (_, i) => {
    const page = Prng.pick(prng, pages)
    const word = Prng.pick(prng, words)
    const url = i === 0 ? `https://${domain}/` : `https://${domain}/${page}${i}`
    const content = `${domain} ${word}: ${query}. Page ${page} describes the company's ${word} work.`
    const result: WireResult = {
      title: `${domain} - ${page}`,
      url,
      content,
      score: Math.round(score * 1000) / 1000,
      raw_content: rawContent ? `# ${domain} ${page}\n\n${content}` : null
    }
    score = Math.max(0.01, score - prng() * 0.15)
    return result
  })
}

/**
 * The page at a URL, or the reason Tavily could not fetch it (about one URL
 * in ten, and every URL whose path contains `private`).
 *
 * @since 0.1.0
 * @category data
 */
export const extract = (
  seed: number,
  url: string
): { readonly _tag: "Page"; readonly rawContent: string } | { readonly _tag: "Failed"; readonly error: string } => {
  const prng = Prng.forKey(seed, `extract:${url}`)
  if (url.includes("private") || prng() < 0.1) return { _tag: "Failed", error: "Failed to fetch url" }
  const word = Prng.pick(prng, words)
  return { _tag: "Page", rawContent: `# ${url}\n\nWe build ${word} for mid-size companies. Jane Roe, CEO.` }
}

/**
 * Tavily's credits for an extract call: 1 (basic) or 2 (advanced) per 5
 * successful URLs, rounded up; failed URLs are free.
 *
 * @since 0.1.0
 * @category data
 */
export const extractCredits = (successes: number, advanced: boolean): number =>
  Math.ceil(successes / 5) * (advanced ? 2 : 1)
