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
import { Llm } from "../Llm.js"
import { Tavily } from "../Tavily.js"
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
 * search for the company and one extract of up to three of its results,
 * each drawing from the `tavily.queries` budget (an exhausted budget skips
 * the step; extraction goes on without it).
 *
 * @since 0.1.0
 * @category steps
 */
export const Search = step("search", {
  needs: { crawl: Crawl },
  output: Findings,
  dependants: "absent",
  description: "searches the web when the crawl is thin (Tavily)",
  run: ({ crawl, target }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext
      if (!isThin(crawl, ctx.thinCorpusChars)) return notNeeded
      const tavily = yield* Tavily
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

/**
 * `extract`: firmographics by the LLM from the crawl and search text,
 * drawing tokens from `openai.tokens`. When the budget is exhausted, the
 * LLM fails, or there is no text, the crawl's deterministic signals are used
 * instead (source `"signals"`), so this step itself does not fail on them.
 *
 * @since 0.1.0
 * @category steps
 */
export const Extract = step("extract", {
  needs: { crawl: Crawl, search: Search },
  output: Firmographics.Firmographics,
  dependants: "absent",
  description: "extracts firmographics (LLM, or the crawl's signals)",
  run: ({ crawl, search, target }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext
      const text = extractionText(crawl, search, ctx.corpusCharLimit)
      const fallback = Firmographics.fromSignals(target, crawl)
      if (text.trim() === "") return fallback
      const llm = yield* Llm
      return yield* llm.extract({
        schema: Firmographics.Extraction,
        name: "firmographics",
        instructions: instructions(target),
        text,
        maxOutputTokens: 600
      }).pipe(
        Effect.map((r) => Firmographics.fromExtraction(target, r.value, r.usage.totalTokens, fallback)),
        Effect.catchTags({
          BudgetExhausted: (e) => Effect.as(Effect.logInfo(`extract of ${target.domain} from signals: ${e.message}`), fallback),
          LlmError: (e) => Effect.as(Effect.logWarning(`extract of ${target.domain} from signals: ${e.message}`), fallback)
        })
      )
    })
})
