/**
 * A fake Tavily on 127.0.0.1 speaking Tavily's wire format: `POST /search`
 * and `POST /extract` with `Authorization: Bearer <key>` (a body `api_key`
 * is accepted too, as older SDKs send it), errors as
 * `{"detail":{"error":"..."}}` with Tavily's statuses (400, 401, 429 without
 * `Retry-After`, 432 when the credit balance is spent, 500), `raw_content`
 * null unless asked for, `failed_results` in a 200, `usage.credits` only with
 * `include_usage`, and a `request_id` always.
 *
 * ```ts
 * const server = yield* FakeTavilyServer.make({ seed: 7, credits: 100 })
 * const live = Tavily.layer({ apiKey: Redacted.make(server.apiKey), baseUrl: server.url })
 * ```
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import * as FakeServer from "../../internal/testing/FakeServer.js"
import type * as FakeVendor from "../../testing/FakeVendor.js"
import * as Prng from "../../internal/testing/Prng.js"
import * as TavilyData from "./TavilyData.js"

/**
 * Knobs of the fake: the shared ones (seed, accepted key, latency, rate
 * limit, 5xx / malformed / hung rates, credit balance), plus `payAsYouGo`:
 * a spent balance answers 433 (pay-as-you-go limit) instead of 432 (plan
 * limit).
 *
 * @since 0.1.0
 * @category models
 */
export interface Knobs extends FakeVendor.Knobs {
  readonly payAsYouGo: boolean
}

/**
 * A running fake Tavily: its URL, the key it accepts, and its counters
 * (calls per `"POST /search"` / `"POST /extract"`, credits used).
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeTavilyServer extends FakeVendor.Server {
  readonly apiKey: string
}

type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const error = (status: number, message: string): FakeServer.FakeResponse => ({
  status,
  body: { detail: { error: message } }
})

const planLimit = error(
  432,
  "This request exceeds your plan's set usage limit. Please upgrade your plan or contact support@tavily.com"
)
const payAsYouGoLimit = error(433, "This request exceeds the pay-as-you-go limit. You can increase your limit on the Tavily dashboard.")

const responseTime = (r: number) => Math.round((0.3 + r * 2) * 100) / 100

const search = (creditsExceeded: FakeServer.FakeResponse): FakeServer.Route => (request, ctx) =>
  Effect.gen(function*() {
    const body = request.body
    if (!isObject(body) || typeof body.query !== "string" || body.query.trim() === "") {
      return error(400, "Invalid request: query is required")
    }
    const depth = body.search_depth ?? "basic"
    if (!["basic", "advanced", "fast", "ultra-fast"].includes(String(depth))) {
      return error(400, `Invalid search_depth: ${String(depth)}`)
    }
    if (body.topic !== undefined && !["general", "news", "finance"].includes(String(body.topic))) {
      return error(400, `Invalid topic: ${String(body.topic)}`)
    }
    const maxResults = body.max_results ?? 5
    if (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 0 || maxResults > 20) {
      return error(400, "max_results must be an integer between 0 and 20")
    }
    const credits = depth === "advanced" ? 2 : 1
    if (!(yield* ctx.spend(credits))) return creditsExceeded
    const raw = body.include_raw_content === true || body.include_raw_content === "markdown" ||
      body.include_raw_content === "text"
    const prng = Prng.make(Prng.hash(`${ctx.seed}:meta:${body.query}`) ^ Math.floor((yield* ctx.random) * 2 ** 31))
    return {
      status: 200,
      body: {
        query: body.query,
        answer: body.include_answer === undefined || body.include_answer === false
          ? null
          : `${TavilyData.domainOf(body.query)} is a company matching "${body.query}".`,
        images: [],
        follow_up_questions: null,
        results: TavilyData.search(ctx.seed, body.query, maxResults, raw),
        response_time: responseTime(prng()),
        ...(body.include_usage === true ? { usage: { credits } } : {}),
        request_id: Prng.uuid(prng)
      }
    }
  })

const extract = (creditsExceeded: FakeServer.FakeResponse): FakeServer.Route => (request, ctx) =>
  Effect.gen(function*() {
    const body = request.body
    const urls = isObject(body) ? (typeof body.urls === "string" ? [body.urls] : body.urls) : undefined
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u): u is string => typeof u === "string")) {
      return error(400, "Invalid request: urls is required")
    }
    if (urls.length > 20) return error(400, "Max 20 URLs are allowed.")
    const advanced = isObject(body) && body.extract_depth === "advanced"
    const outcomes = urls.map((url) => ({ url, outcome: TavilyData.extract(ctx.seed, url) }))
    const successes = outcomes.filter((o) => o.outcome._tag === "Page").length
    const credits = TavilyData.extractCredits(successes, advanced)
    if (!(yield* ctx.spend(credits))) return creditsExceeded
    const prng = Prng.make(Math.floor((yield* ctx.random) * 2 ** 31))
    return {
      status: 200,
      body: {
        results: outcomes.flatMap((o) => o.outcome._tag === "Page" ? [{ url: o.url, raw_content: o.outcome.rawContent }] : []),
        failed_results: outcomes.flatMap((o) => o.outcome._tag === "Failed" ? [{ url: o.url, error: o.outcome.error }] : []),
        response_time: responseTime(prng()),
        ...(isObject(body) && body.include_usage === true ? { usage: { credits } } : {}),
        request_id: Prng.uuid(prng)
      }
    }
  })

/** The Tavily wire protocol for the shared fake server. @internal */
export const vendor = (payAsYouGo: boolean): FakeServer.Vendor => ({
  name: "Tavily",
  routes: {
    "POST /search": search(payAsYouGo ? payAsYouGoLimit : planLimit),
    "POST /extract": extract(payAsYouGo ? payAsYouGoLimit : planLimit)
  },
  authorize: (request, apiKey) => {
    const header = request.headers["authorization"]
    if (header !== undefined) return header === `Bearer ${apiKey}`
    return isObject(request.body) && request.body.api_key === apiKey
  },
  unauthorized: () => error(401, "Unauthorized: missing or invalid API key."),
  rateLimited: () => error(429, "Your request has been blocked due to excessive requests. Please reduce the rate of requests."),
  serverError: () => error(500, "Internal Server Error"),
  notFound: () => ({ status: 404, body: { detail: "Not Found" } })
})

/**
 * Starts a fake Tavily; it stops when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (knobs?: Partial<Knobs>): Effect.Effect<FakeTavilyServer, never, Scope.Scope> =>
  Effect.map(FakeServer.make({ vendor: vendor(knobs?.payAsYouGo ?? false), knobs }), (server) => ({
    ...server,
    apiKey: knobs?.apiKey ?? FakeServer.defaults.apiKey
  }))
