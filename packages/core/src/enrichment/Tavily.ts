/**
 * The Tavily port: web search (`search`) and page extraction (`extract`).
 * Every call is paid, so adapters draw one unit from the `"tavily.queries"`
 * budget (see {@link budget}) before sending it; an exhausted budget fails
 * with `Budget.BudgetExhausted` and sends nothing.
 *
 * Requests are validated against their Schemas by the adapter: a request
 * outside Tavily's limits (more than 20 results, more than 20 URLs) fails
 * with reason `BadRequest` before anything is sent.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { BudgetExhausted } from "../engine/Budget.js"
import * as VendorError from "./VendorError.js"

/**
 * The name of the budget Tavily calls draw from (one unit per call), capped by
 * `TAVILY_MAX_QUERIES`.
 *
 * @since 0.1.0
 * @category constants
 */
export const budget = "tavily.queries"

/**
 * The one error of the Tavily port. Tavily's 432 and 433 (plan or
 * pay-as-you-go limit exceeded) are `OutOfCredits`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TavilyError extends Schema.TaggedError<TavilyError>()("TavilyError", VendorError.fields) {
  /**
   * Rate limits, server errors, time-outs and transport failures are worth
   * retrying, unless the attempt may have been billed (see
   * `VendorError.isRetryable`).
   */
  get retryable(): boolean {
    return VendorError.isRetryable(this)
  }

  /** The stable failure code, e.g. `tavily.Unauthorized(401): ...` (see `VendorError.code`). */
  get code(): string {
    return VendorError.code("tavily", this)
  }

  override get message(): string {
    return VendorError.message("Tavily", this)
  }
}

/**
 * A search request. `maxResults` is 0-20 (default 5); `depth: "advanced"`
 * costs Tavily 2 credits; `includeRawContent` fills `rawContent` with the
 * page as markdown.
 *
 * @since 0.1.0
 * @category models
 */
export const SearchRequest = Schema.Struct({
  query: Schema.NonEmptyTrimmedString,
  depth: Schema.optional(Schema.Literal("basic", "advanced")),
  topic: Schema.optional(Schema.Literal("general", "news", "finance")),
  maxResults: Schema.optional(Schema.Int.pipe(Schema.between(0, 20))),
  includeAnswer: Schema.optional(Schema.Boolean),
  includeRawContent: Schema.optional(Schema.Boolean),
  includeDomains: Schema.optional(Schema.Array(Schema.String)),
  excludeDomains: Schema.optional(Schema.Array(Schema.String)),
  timeRange: Schema.optional(Schema.Literal("day", "week", "month", "year"))
})

/**
 * @since 0.1.0
 * @category models
 */
export type SearchRequest = typeof SearchRequest.Type

/**
 * One search hit; `score` is Tavily's relevance in [0, 1].
 *
 * @since 0.1.0
 * @category models
 */
export class SearchResult extends Schema.Class<SearchResult>("@leadgraph/core/Tavily/SearchResult")({
  title: Schema.String,
  url: Schema.String,
  content: Schema.String,
  score: Schema.Number,
  rawContent: Schema.NullOr(Schema.String),
  publishedDate: Schema.optional(Schema.String)
}) {}

/**
 * A search answer: the hits, the optional LLM answer, the credits Tavily
 * reported and its request id.
 *
 * @since 0.1.0
 * @category models
 */
export class SearchResponse extends Schema.Class<SearchResponse>("@leadgraph/core/Tavily/SearchResponse")({
  query: Schema.String,
  answer: Schema.NullOr(Schema.String),
  results: Schema.Array(SearchResult),
  responseTimeSeconds: Schema.Number,
  credits: Schema.optional(Schema.Number),
  requestId: Schema.String
}) {}

/**
 * An extract request: 1-20 URLs per call. `query` reranks the extracted
 * chunks.
 *
 * @since 0.1.0
 * @category models
 */
export const ExtractRequest = Schema.Struct({
  urls: Schema.Array(Schema.String).pipe(Schema.minItems(1), Schema.maxItems(20)),
  depth: Schema.optional(Schema.Literal("basic", "advanced")),
  format: Schema.optional(Schema.Literal("markdown", "text")),
  query: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ExtractRequest = typeof ExtractRequest.Type

/**
 * An extract answer. A URL Tavily could not fetch is listed in `failed` (a
 * partial failure is still a success, and failed URLs are free).
 *
 * @since 0.1.0
 * @category models
 */
export class ExtractResponse extends Schema.Class<ExtractResponse>("@leadgraph/core/Tavily/ExtractResponse")({
  results: Schema.Array(Schema.Struct({ url: Schema.String, rawContent: Schema.String })),
  failed: Schema.Array(Schema.Struct({ url: Schema.String, error: Schema.String })),
  credits: Schema.optional(Schema.Number),
  requestId: Schema.String
}) {}

/**
 * The Tavily service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Searches the web; one budget unit. */
  readonly search: (request: SearchRequest) => Effect.Effect<SearchResponse, TavilyError | BudgetExhausted>
  /** Extracts the content of up to 20 URLs; one budget unit. */
  readonly extract: (request: ExtractRequest) => Effect.Effect<ExtractResponse, TavilyError | BudgetExhausted>
}

/**
 * The Tavily service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Tavily extends Context.Tag("@leadgraph/core/Tavily")<Tavily, Service>() {}
