/**
 * The `Crawler` port: fetch a company's website politely, pick the pages that
 * describe it, and return a text corpus plus the signals that need no LLM
 * (emails, phone numbers, social profiles, marked-up addresses, titles and
 * headings). The live implementation lives in `@leadgraph/adapters`.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"

/**
 * Why a page was chosen: the home page, or the topic its link or path named.
 *
 * @since 0.1.0
 * @category models
 */
export const PageRole = Schema.Literal("home", "about", "contact", "team", "careers", "products", "other")

/**
 * Why a page was chosen (the type of {@link PageRole}).
 *
 * @since 0.1.0
 * @category models
 */
export type PageRole = typeof PageRole.Type

/**
 * A social profile link found on the site.
 *
 * @since 0.1.0
 * @category models
 */
export class SocialLink extends Schema.Class<SocialLink>("SocialLink")({
  network: Schema.Literal("linkedin", "twitter", "facebook", "instagram", "youtube", "github", "xing", "tiktok"),
  url: Schema.String
}) {}

/**
 * Signals that need no LLM, from one page or merged over a site. Every list
 * is de-duplicated and in first-seen order.
 *
 * @since 0.1.0
 * @category models
 */
export class Signals extends Schema.Class<Signals>("Signals")({
  emails: Schema.Array(Schema.String),
  phones: Schema.Array(Schema.String),
  socials: Schema.Array(SocialLink),
  addresses: Schema.Array(Schema.String)
}) {}

/**
 * One fetched HTML page: where it ended up, what it said and what it held.
 *
 * @since 0.1.0
 * @category models
 */
export class Page extends Schema.Class<Page>("Page")({
  url: Schema.String,
  role: PageRole,
  status: Schema.Number,
  bytes: Schema.Number,
  truncated: Schema.Boolean,
  title: Schema.String,
  description: Schema.String,
  headings: Schema.Array(Schema.String),
  text: Schema.String,
  signals: Signals
}) {}

/**
 * Why a candidate URL was not fetched or not used. `parseTimeout`: the page
 * was fetched but parsing it ran past the crawler's deadline.
 *
 * @since 0.1.0
 * @category models
 */
export const SkipReason = Schema.Literal("robots", "address", "offsite", "notHtml", "redirects", "status", "timeout", "parseTimeout", "error")

/**
 * Why a URL was skipped (the type of {@link SkipReason}).
 *
 * @since 0.1.0
 * @category models
 */
export type SkipReason = typeof SkipReason.Type

/**
 * A URL the crawler chose not to use, and why.
 *
 * @since 0.1.0
 * @category models
 */
export class Skipped extends Schema.Class<Skipped>("Skipped")({
  url: Schema.String,
  reason: SkipReason
}) {}

/**
 * What a crawl cost: requests made (robots.txt and sitemap included), pages
 * kept, URLs refused by robots.txt, bytes received and time spent.
 *
 * @since 0.1.0
 * @category models
 */
export class CrawlStats extends Schema.Class<CrawlStats>("CrawlStats")({
  requests: Schema.Number,
  pages: Schema.Number,
  refusedByRobots: Schema.Number,
  bytes: Schema.Number,
  millis: Schema.Number
}) {}

/**
 * The result of crawling one website: its pages in a deterministic order,
 * the merged corpus (cut at the configured character limit), the merged
 * signals, the URLs skipped and the cost.
 *
 * @since 0.1.0
 * @category models
 */
export class CrawlResult extends Schema.Class<CrawlResult>("CrawlResult")({
  website: Schema.String,
  finalUrl: Schema.String,
  pages: Schema.Array(Page),
  corpus: Schema.String,
  corpusTruncated: Schema.Boolean,
  signals: Signals,
  skipped: Schema.Array(Skipped),
  stats: CrawlStats
}) {}

/**
 * The crawl failed as a whole (the home page could not be had). Pages that
 * fail after the home page are listed in {@link CrawlResult} as skipped.
 * `Unreachable`, `Timeout` and 5xx/429 `HttpStatus` are retryable;
 * `ParseTimeout` (the home page took too long to parse) and `ParseFailed`
 * (its parser crashed on it) are not: the same page would fail again.
 *
 * @since 0.1.0
 * @category errors
 */
export class CrawlerError extends Schema.TaggedError<CrawlerError>()("CrawlerError", {
  reason: Schema.Literal(
    "InvalidUrl",
    "RobotsDisallowed",
    "CrawlDelayTooLong",
    "AddressRefused",
    "Unreachable",
    "Timeout",
    "TooManyRedirects",
    "HttpStatus",
    "NotHtml",
    "ParseTimeout",
    "ParseFailed"
  ),
  url: Schema.String,
  status: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect)
}) {
  /** Transport failures, time-outs and server errors may pass; the rest will not. */
  get retryable(): boolean {
    return this.reason === "Unreachable" || this.reason === "Timeout" ||
      (this.reason === "HttpStatus" && this.status !== undefined && (this.status >= 500 || this.status === 429))
  }

  override get message(): string {
    const status = this.status === undefined ? "" : ` (status ${this.status})`
    return `crawl of ${this.url} failed: ${this.reason}${status}`
  }
}

/**
 * The crawler service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Crawls a website (a URL or a bare domain) and returns its pages, corpus and signals. */
  readonly crawl: (website: string) => Effect.Effect<CrawlResult, CrawlerError>
}

/**
 * The crawler service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Crawler extends Context.Tag("@leadgraph/core/Crawler")<Crawler, Service>() {}

/**
 * The result as it may be stored when `PERSIST_CRAWL_CORPUS` is off: the
 * corpus and the page texts are emptied, everything else is kept.
 *
 * @since 0.1.0
 * @category utils
 */
export const withoutCorpus = (result: CrawlResult): CrawlResult =>
  new CrawlResult({
    ...result,
    corpus: "",
    pages: result.pages.map((page) => new Page({ ...page, text: "" }))
  })
