/**
 * The Tavily adapter: core's `Tavily` port over Tavily's HTTP API
 * (`POST /search`, `POST /extract`, `Authorization: Bearer <key>`). Each call
 * validates its request, costs one unit of the `"tavily.queries"` budget,
 * then goes through the shared vendor client: rate limit, per-attempt
 * timeout, core's retry policy, Schema-decoded answers. Tavily's 432/433
 * (credit limits) are `OutOfCredits`, after which no further call of the
 * run is sent; a refused key (401, 403) stops every further call of the run
 * the same way, and is logged once, naming `TAVILY_API_KEY`.
 *
 * A call is metered into the calling step's budget draw (`Budget.metered`;
 * outside a draw it reserves its own unit) by core's charge policy: its unit
 * counts when Tavily answered, and also when Tavily may have billed it
 * without an answer we could read (a truncated body, a hung call); it
 * counts nothing only when Tavily certainly refused it.
 *
 * ```ts
 * const TavilyLive = Tavily.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Budget, type Retry, Tavily } from "@leadgraph/core"
import { Config, type ConfigError, type Duration, Effect, Layer, Option, type Redacted, Schema, type Scope } from "effect"
import * as BaseUrl from "../internal/http/BaseUrl.js"
import * as VendorClient from "../internal/http/VendorClient.js"
import type * as SharedRateLimits from "../SharedRateLimits.js"

/**
 * Options of the live adapter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The environment variable the key comes from, named when Tavily refuses it (default {@link defaults}.keyVariable). */
  readonly keyVariable?: string | undefined
  /** Default {@link defaults}.baseUrl. */
  readonly baseUrl?: string | undefined
  /** Timeout of one attempt (default {@link defaults}.timeout). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Core's retry policy, partially overridden. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** Client-side rate limit (default {@link defaults}.rateLimit: a development key's 100 a minute, spaced; see `SharedRateLimits.Limit`). */
  readonly rateLimit?: SharedRateLimits.Limit | undefined
}

/**
 * Defaults: the public API, 30 s per attempt, 100 requests per minute; the
 * key comes from `TAVILY_API_KEY`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  keyVariable: "TAVILY_API_KEY",
  baseUrl: "https://api.tavily.com",
  timeout: "30 seconds",
  rateLimit: { limit: 100, interval: "1 minute", algorithm: "spaced" }
} as const

const WireSearch = Schema.Struct({
  query: Schema.String,
  answer: Schema.optional(Schema.NullOr(Schema.String)),
  results: Schema.Array(Schema.Struct({
    title: Schema.String,
    url: Schema.String,
    content: Schema.String,
    score: Schema.Number,
    raw_content: Schema.optional(Schema.NullOr(Schema.String)),
    published_date: Schema.optional(Schema.String)
  })),
  // One doc example shows it as a string.
  response_time: Schema.Union(Schema.Number, Schema.NumberFromString),
  usage: Schema.optional(Schema.Struct({ credits: Schema.Number })),
  request_id: Schema.String
})

const WireExtract = Schema.Struct({
  results: Schema.Array(Schema.Struct({ url: Schema.String, raw_content: Schema.String })),
  failed_results: Schema.optionalWith(Schema.Array(Schema.Struct({ url: Schema.String, error: Schema.String })), {
    default: () => []
  }),
  usage: Schema.optional(Schema.Struct({ credits: Schema.Number })),
  request_id: Schema.String
})

const errorDetail = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null || !("detail" in body)) return undefined
  const detail = body.detail
  if (typeof detail === "string") return detail
  return typeof detail === "object" && detail !== null && "error" in detail ? String(detail.error) : undefined
}

/**
 * Builds what belongs to the API key once, over the `HttpClient` in context:
 * the vendor client with its rate limit, retries and key latch, owned by
 * the scope. The effect it returns builds a service over the `Budget` in
 * its context; run it once per run (each tenant's run gives its own
 * budget), and every service it builds shares the client and its limits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const factory = (
  options: Options
): Effect.Effect<Effect.Effect<Tavily.Service, never, Budget.Budget>, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* VendorClient.make({
      vendor: "Tavily",
      keyVariable: options.keyVariable ?? defaults.keyVariable,
      secrets: [options.apiKey],
      makeError: (failure) => new Tavily.TavilyError(failure),
      timeout: options.timeout ?? defaults.timeout,
      retry: options.retry,
      rateLimit: options.rateLimit ?? defaults.rateLimit,
      statusOverrides: { 432: "OutOfCredits", 433: "OutOfCredits" },
      errorDetail
    })
    const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, "")
    const post = (path: string, body: Record<string, unknown>) =>
      HttpClientRequest.post(`${baseUrl}${path}`).pipe(
        HttpClientRequest.bearerToken(options.apiKey),
        HttpClientRequest.setHeader("X-Client-Source", "leadgraph"),
        HttpClientRequest.bodyUnsafeJson(body)
      )

    // @effect-diagnostics-next-line returnEffectInGen:off -- the per-run constructor, returned unrun: it runs once per run
    return Effect.gen(function*() {
      const budget = yield* Budget.Budget
      const paid = <A>(call: Effect.Effect<A, Tavily.TavilyError>) =>
        Budget.metered(Tavily.budget, call, { units: 1 }).pipe(Effect.provideService(Budget.Budget, budget))

      const search = Effect.fn("Tavily.search")(function*(input: Tavily.SearchRequest) {
        const request = yield* client.validate(Tavily.SearchRequest, input)
        const wire = yield* paid(client.request(
          post("/search", {
            query: request.query,
            search_depth: request.depth ?? "basic",
            topic: request.topic ?? "general",
            max_results: request.maxResults ?? 5,
            include_answer: request.includeAnswer ?? false,
            include_raw_content: request.includeRawContent ?? false,
            include_usage: true,
            ...(request.includeDomains ? { include_domains: request.includeDomains } : {}),
            ...(request.excludeDomains ? { exclude_domains: request.excludeDomains } : {}),
            ...(request.timeRange ? { time_range: request.timeRange } : {})
          }),
          WireSearch
        ))
        return new Tavily.SearchResponse({
          query: wire.query,
          answer: wire.answer ?? null,
          results: wire.results.map((r) =>
            new Tavily.SearchResult({
              title: r.title,
              url: r.url,
              content: r.content,
              score: r.score,
              rawContent: r.raw_content ?? null,
              ...(r.published_date === undefined ? {} : { publishedDate: r.published_date })
            })
          ),
          responseTimeSeconds: wire.response_time,
          ...(wire.usage === undefined ? {} : { credits: wire.usage.credits }),
          requestId: wire.request_id
        })
      })

      const extract = Effect.fn("Tavily.extract")(function*(input: Tavily.ExtractRequest) {
        const request = yield* client.validate(Tavily.ExtractRequest, input)
        const wire = yield* paid(client.request(
          post("/extract", {
            urls: request.urls,
            extract_depth: request.depth ?? "basic",
            format: request.format ?? "markdown",
            include_usage: true,
            ...(request.query === undefined ? {} : { query: request.query })
          }),
          WireExtract
        ))
        return new Tavily.ExtractResponse({
          results: wire.results.map((r) => ({ url: r.url, rawContent: r.raw_content })),
          failed: wire.failed_results,
          ...(wire.usage === undefined ? {} : { credits: wire.usage.credits }),
          requestId: wire.request_id
        })
      })

      return { search, extract } satisfies Tavily.Service
    })
  })

/**
 * Builds the live service over the `HttpClient` and `Budget` in context
 * (one {@link factory}, run once).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Tavily.Service, never, HttpClient.HttpClient | Budget.Budget | Scope.Scope> =>
  Effect.flatten(factory(options))

/**
 * The live Tavily service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Tavily.Tavily, never, HttpClient.HttpClient | Budget.Budget> =>
  Layer.scoped(Tavily.Tavily, make(options))

/**
 * The options read from the environment: `TAVILY_API_KEY` (redacted) and
 * `TAVILY_BASE_URL` (optional; an http(s) URL without credentials, query or
 * fragment, checked when read).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  apiKey: Config.redacted(defaults.keyVariable).pipe(Config.withDescription("Tavily API key (tvly-...), sent as a bearer token")),
  baseUrl: BaseUrl.config("TAVILY_BASE_URL", "Tavily API base URL (default https://api.tavily.com)")
}).pipe(Config.map(({ baseUrl, ...rest }) => ({ ...rest, baseUrl: Option.getOrUndefined(baseUrl) })))

/**
 * The live Tavily service with its options read from `Config` (default
 * {@link config}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<Tavily.Tavily, ConfigError.ConfigError, HttpClient.HttpClient | Budget.Budget> =>
  Layer.scoped(Tavily.Tavily, Effect.flatMap(options, make))
