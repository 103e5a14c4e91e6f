/**
 * The research steps: crawl the company's website, search the web with
 * Tavily when the crawl corpus is too thin, and extract firmographics with
 * the LLM (or, when the LLM or its budget is unavailable, from the crawl's
 * deterministic signals).
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema } from "effect"
import * as Retry from "../../engine/Retry.js"
import type { Company } from "../Company.js"
import { Crawler, CrawlResult } from "../Crawler.js"
import * as Firmographics from "../Firmographics.js"
import * as History from "../History.js"
import * as Llm from "../Llm.js"
import * as Tavily from "../Tavily.js"
import { RunContext, step } from "./RunContext.js"

/**
 * The URL the crawl starts from: the company's website, else its domain.
 *
 * @since 0.1.0
 * @category helpers
 */
export const websiteOf = (company: Company): string => company.website ?? `https://${company.domain}/`

/**
 * `crawl`: the company's website (robots.txt respected), one crawl per
 * domain at a time. Dependants get `Option.none()` when it fails, so a dead
 * site still gets searched and scored.
 *
 * @since 0.1.0
 * @category steps
 */
export const Crawl = step("crawl", {
  output: CrawlResult,
  dependants: "absent",
  key: ({ target }) => target.domain,
  keyScope: "domain",
  timeout: "3 minutes",
  retry: Retry.schedule({ retries: 2 }),
  description: "crawls the company website",
  run: ({ target }) => Effect.flatMap(Crawler, (crawler) => crawler.crawl(websiteOf(target)))
})

/**
 * What web search added: nothing when the crawl was thick enough.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Findings = Schema.Struct({
  needed: Schema.Boolean,
  text: Schema.String,
  sources: Schema.Array(Schema.String),
  calls: Schema.NonNegativeInt
})

/**
 * @since 0.1.0
 * @category models
 */
export type Findings = typeof Findings.Type

const notNeeded: Findings = { needed: false, text: "", sources: [], calls: 0 }

/**
 * Tavily calls the search step makes for a company whose corpus is thin:
 * one search, and one extract of its best results.
 *
 * @since 0.1.0
 * @category constants
 */
export const searchCallsWhenThin = 2

/**
 * True when a crawl gives too little text to extract from.
 *
 * @since 0.1.0
 * @category helpers
 */
export const isThin = (crawl: Option.Option<CrawlResult>, thinCorpusChars: number): boolean =>
  Option.match(crawl, { onNone: () => true, onSome: (c) => c.corpus.trim().length < thinCorpusChars })

/**
 * `search`: when the crawl corpus is thin (or the crawl failed), one Tavily
 * search for the company and one extract of up to three of its results. It
 * draws {@link searchCallsWhenThin} units of `tavily.queries` when the
 * corpus is thin, none otherwise, and commits the calls made (an exhausted
 * budget skips the step; extraction goes on without it). Its dry-run
 * estimate: a company known to be thin, the tenant's share of thin sites,
 * or with no history a company without a website.
 *
 * @since 0.1.0
 * @category steps
 */
export const Search = step("search", {
  needs: { crawl: Crawl },
  output: Findings,
  dependants: "absent",
  description: "searches the web when the crawl is thin (Tavily)",
  budget: {
    name: Tavily.budget,
    units: ({ crawl }) => Effect.map(RunContext, (ctx) => isThin(crawl, ctx.thinCorpusChars) ? searchCallsWhenThin : 0),
    metered: true,
    estimate: (target) =>
      Effect.map(History.seen(target), ({ averages, known }) => {
        const thin = known !== undefined
          ? (known.thin ? 1 : 0)
          : averages !== undefined
          ? averages.thinShare
          : (target.website === null ? 1 : 0)
        return { units: thin * searchCallsWhenThin, calls: thin * searchCallsWhenThin }
      })
  },
  run: ({ crawl, target }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext
      if (!isThin(crawl, ctx.thinCorpusChars)) return notNeeded
      const tavily = yield* Tavily.Tavily
      const found = yield* tavily.search({
        query: `${target.name} ${target.domain} company profile`,
        maxResults: 5,
        includeAnswer: true
      })
      const own = found.results.filter((r) => r.url.includes(target.domain))
      const urls = [...own, ...found.results.filter((r) => !own.includes(r))].slice(0, 3).map((r) => r.url)
      const parts = [found.answer ?? "", ...found.results.map((r) => `${r.title}\n${r.content}`)]
      if (urls.length === 0) return { needed: true, text: parts.join("\n\n").trim(), sources: [], calls: 1 }
      const extracted = yield* tavily.extract({ urls, format: "text" })
      return {
        needed: true,
        text: [...parts, ...extracted.results.map((r) => r.rawContent)].join("\n\n").trim(),
        sources: urls,
        calls: 2
      }
    })
})

const instructions = (company: Company) =>
  `Extract the firmographics of the company "${company.name}" (${company.domain}) from the text below, ` +
  `which comes from its website and from web search. Use only facts the text states; ` +
  `answer null or an empty list for anything it does not say.`

/**
 * The text the LLM reads: the crawl corpus, then what search found, cut at
 * `limit` characters.
 *
 * @since 0.1.0
 * @category helpers
 */
export const extractionText = (crawl: Option.Option<CrawlResult>, search: Option.Option<Findings>, limit: number): string => {
  const corpus = Option.match(crawl, { onNone: () => "", onSome: (c) => c.corpus })
  const found = Option.match(search, { onNone: () => "", onSome: (s) => s.text })
  return [corpus, found].filter((t) => t.trim() !== "").join("\n\n").slice(0, limit)
}

/** The LLM request that extracts a company's firmographics from `text`. */
const extraction = (
  company: Company,
  text: string
): Llm.ExtractRequest<Firmographics.Extraction, typeof Firmographics.Extraction.Encoded> => ({
  schema: Firmographics.Extraction,
  name: "firmographics",
  instructions: instructions(company),
  text,
  maxOutputTokens: 600
})

/**
 * The firmographics dependants read: the extracted ones, or the crawl's
 * signals when extraction did not run (its budget spent) or failed.
 *
 * @since 0.1.0
 * @category helpers
 */
export const firmographicsOf = (
  company: Company,
  crawl: Option.Option<CrawlResult>,
  extract: Option.Option<Firmographics.Firmographics>
): Option.Option<Firmographics.Firmographics> =>
  Option.some(Option.getOrElse(extract, () => Firmographics.fromSignals(company, crawl)))

/**
 * `extract`: firmographics by the LLM from the crawl and search text. It
 * draws from `openai.tokens` what the request may cost at most
 * (`Llm.extractTokens`; nothing when there is no text) and commits the
 * tokens used. When the LLM fails or there is no text, the crawl's
 * deterministic signals are used instead (source `"signals"`), so this step
 * itself does not fail on them; when its budget is spent it is skipped, and
 * dependants read the signals ({@link firmographicsOf}).
 *
 * @since 0.1.0
 * @category steps
 */
export const Extract = step("extract", {
  needs: { crawl: Crawl, search: Search },
  output: Firmographics.Firmographics,
  dependants: "absent",
  description: "extracts firmographics (LLM, or the crawl's signals)",
  budget: {
    name: Llm.tokenBudget,
    units: ({ crawl, search, target }) =>
      Effect.map(RunContext, (ctx) => {
        const text = extractionText(crawl, search, ctx.corpusCharLimit)
        return text.trim() === "" ? 0 : Llm.extractTokens(extraction(target, text))
      }),
    metered: true,
    estimate: (target) =>
      Effect.map(History.seen(target), ({ knobs }) => ({
        units: Llm.extractTokens(extraction(target, " ".repeat(knobs.corpusCharLimit))),
        calls: 1
      }))
  },
  run: ({ crawl, search, target }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext
      const text = extractionText(crawl, search, ctx.corpusCharLimit)
      const fallback = Firmographics.fromSignals(target, crawl)
      if (text.trim() === "") return fallback
      const llm = yield* Llm.Llm
      return yield* llm.extract(extraction(target, text)).pipe(
        Effect.map((r) => Firmographics.fromExtraction(target, r.value, r.usage.totalTokens, fallback)),
        Effect.catchTags({
          BudgetExhausted: (e) => Effect.as(Effect.logInfo(`extract of ${target.domain} from signals: ${e.message}`), fallback),
          LlmError: (e) => Effect.as(Effect.logWarning(`extract of ${target.domain} from signals: ${e.message}`), fallback)
        })
      )
    })
})
