/**
 * An in-memory Tavily for fast tests of code that uses the port: the fake server's data without HTTP.
 *
 * @since 0.1.0
 */
import { Tavily } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import * as TavilyData from "./TavilyData.js"

/**
 * An in-memory Tavily with the fake server's deterministic data (same seed,
 * same hits), for fast tests of code that uses the port. No HTTP, no budget.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly seed?: number }): Layer.Layer<Tavily.Tavily> =>
  Layer.succeed(Tavily.Tavily, {
    search: (request) =>
      Effect.succeed(
        new Tavily.SearchResponse({
          query: request.query,
          answer: request.includeAnswer === true ? `${TavilyData.domainOf(request.query)} matches "${request.query}".` : null,
          results: TavilyData.search(options?.seed ?? 1, request.query, request.maxResults ?? 5, request.includeRawContent === true)
            .map((r) =>
              new Tavily.SearchResult({ title: r.title, url: r.url, content: r.content, score: r.score, rawContent: r.raw_content })
            ),
          responseTimeSeconds: 0,
          requestId: "fake"
        })
      ),
    extract: (request) => {
      const outcomes = request.urls.map((url) => ({ url, outcome: TavilyData.extract(options?.seed ?? 1, url) }))
      return Effect.succeed(
        new Tavily.ExtractResponse({
          results: outcomes.flatMap((o) => o.outcome._tag === "Page" ? [{ url: o.url, rawContent: o.outcome.rawContent }] : []),
          failed: outcomes.flatMap((o) => o.outcome._tag === "Failed" ? [{ url: o.url, error: o.outcome.error }] : []),
          requestId: "fake"
        })
      )
    }
  })
