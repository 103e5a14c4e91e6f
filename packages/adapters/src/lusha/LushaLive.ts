/**
 * The Lusha adapter: core's `Lusha` port over Lusha's API (header
 * `api_key`, redacted from traces).
 *
 * - `findContacts` runs a prospecting search filtered by the company's domain
 *   (free), then enriches at most `limit` of the contacts it found, costing
 *   one `"lusha.lookups"` unit per contact Lusha returned data for.
 * - `lookupPeople` is `POST /v2/person` (bulk) in calls of at most 100,
 *   each costing what Lusha charged for.
 * - `lookupPerson` is `GET /v2/person`, costing one unit only when Lusha
 *   reports `isCreditCharged`; `EMPTY_DATA` (HTTP 200 or 404) is `None`.
 *
 * Each paid call is metered into the calling step's budget draw
 * (`Budget.metered`; outside a draw it reserves its own units).
 *
 * Every call goes through the shared vendor client (rate limit, per-attempt
 * timeout, core's retry policy, Schema-decoded answers); Lusha's 402 is
 * `OutOfCredits`, after which no further paid call of the run is sent, and a
 * refused key (401, or 403 for an inactive account) stops every further call
 * of the run, logged once with the variable that holds the key
 * (`LUSHA_API_KEY`).
 *
 * What a paid call costs follows core's charge policy (`Budget.chargeOf`):
 * the contacts Lusha charged for when its answer could be read; every unit
 * reserved for the call when Lusha may have billed it without an answer we
 * could read (a truncated body, a hung call, an interruption after
 * sending); nothing when Lusha refused it (4xx, 5xx). A paid call is never
 * repeated under its reservation; the free search is, also on a malformed
 * answer.
 *
 * Within a run, every paid answer is kept in core's `PaidResults` store as
 * it arrives, before the caller goes on (see {@link kinds}), for `ttl`
 * (default 24 hours), and asked for first: an enrich by the contact ids it
 * enriches (the search before it is free and runs again), a person by the
 * query, a bulk lookup per query. A resumed run does not pay Lusha again
 * for an answer it already paid for; another run does.
 *
 * ```ts
 * const LushaLive = Lusha.layerConfig().pipe(
 *   Layer.provide([NodeHttpClient.layerUndici, Budget.layerMemory(caps), PaidResults.layerMemory])
 * )
 * ```
 *
 * @since 0.1.0
 */
import { type HttpClient, HttpClientRequest } from "@effect/platform"
import { Budget, Lusha, PaidResults, type Retry } from "@leadgraph/core"
import { Config, type ConfigError, type Duration, Effect, Layer, Option, Redacted, Schema, type Scope } from "effect"
import * as BaseUrl from "../internal/http/BaseUrl.js"
import * as VendorClient from "../internal/http/VendorClient.js"
import * as Paid from "./internal/paid.js"
import * as Wire from "./internal/wire.js"
import type * as SharedRateLimits from "../SharedRateLimits.js"

/**
 * Options of the live adapter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The environment variable the key comes from, named when Lusha refuses it (default {@link defaults}.keyVariable). */
  readonly keyVariable?: string | undefined
  /** Default {@link defaults}.baseUrl. */
  readonly baseUrl?: string | undefined
  /** Timeout of one attempt (default 30 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Core's retry policy, partially overridden. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** Client-side rate limit (default 40 a minute, the smallest plan's, spaced; see `SharedRateLimits.Limit`). */
  readonly rateLimit?: SharedRateLimits.Limit | undefined
  /** How long a paid answer is kept in `PaidResults` (default `PaidResults.defaults.ttl`, 24 hours). */
  readonly ttl?: Duration.DurationInput | undefined
}

/**
 * The names of the kinds of answers kept in `PaidResults` (run-scoped): an
 * enrich's contacts (by the sorted contact ids), a person lookup's answer
 * and a bulk lookup's answer per query (by the query).
 *
 * @since 0.1.0
 * @category constants
 */
export const kinds = Paid.names

/**
 * Defaults of the live adapter (the key comes from `LUSHA_API_KEY`).
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  keyVariable: "LUSHA_API_KEY",
  baseUrl: "https://api.lusha.com",
  timeout: "30 seconds",
  rateLimit: { limit: 40, interval: "1 minute", algorithm: "spaced" },
  limit: 10
} as const

// Lusha's bulk endpoint takes at most 100 contacts per call.
const bulkLimit = 100

/**
 * Builds what belongs to the API key once, over the `HttpClient` in context:
 * the vendor client with its rate limit, retries and key latch, owned by
 * the scope. The effect it returns builds a service over the `Budget` and
 * `PaidResults` in its context; run it once per run (each tenant's run
 * gives its own), and every service it builds shares the client and its
 * limits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const factory = (
  options: Options
): Effect.Effect<
  Effect.Effect<Lusha.Service, never, Budget.Budget | PaidResults.PaidResults>,
  never,
  HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const kept = Paid.kinds(options.ttl ?? PaidResults.defaults.ttl)
    const client = yield* VendorClient.make({
      vendor: "Lusha",
      keyVariable: options.keyVariable ?? defaults.keyVariable,
      secrets: [options.apiKey],
      makeError: (failure) => new Lusha.LushaError(failure),
      timeout: options.timeout ?? defaults.timeout,
      retry: options.retry,
      rateLimit: options.rateLimit ?? defaults.rateLimit,
      statusOverrides: { 451: "BadRequest", 412: "BadRequest" },
      errorDetail: Wire.errorDetail,
      redactHeaders: ["api_key"]
    })
    const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, "")
    const auth = HttpClientRequest.setHeader("api_key", Redacted.value(options.apiKey))
    const post = (path: string, body: unknown) =>
      HttpClientRequest.post(`${baseUrl}${path}`).pipe(auth, HttpClientRequest.bodyUnsafeJson(body))

    // @effect-diagnostics-next-line returnEffectInGen:off -- the per-run constructor, returned unrun: it runs once per run
    return Effect.gen(function*() {
      const budget = yield* Budget.Budget
      const results = yield* PaidResults.PaidResults
      // A paid call metered into the calling step's draw (`Budget.metered`): its
      // answer is kept (`keep`) and its cost counted by the charge policy as soon as it ends.
      const paid = <A>(
        units: number,
        call: Effect.Effect<A, Lusha.LushaError>,
        used: (a: A) => number,
        keep: (a: A) => Effect.Effect<void>
      ) => Budget.metered(Lusha.budget, call, { units, used, keep }).pipe(Effect.provideService(Budget.Budget, budget))

      const findContacts = Effect.fn("Lusha.findContacts")(function*(input: Lusha.ContactSearch) {
        const search = yield* client.validate(Lusha.ContactSearch, input)
        const limit = search.limit ?? defaults.limit
        const contactsFilter = {
          ...(search.seniorities === undefined ? {} : { seniority: search.seniorities }),
          ...(search.departments === undefined ? {} : { departments: search.departments })
        }
        const found = yield* client.request(
          post("/prospecting/contact/search", {
            pages: { page: 0, size: Math.max(10, limit) },
            filters: {
              companies: { include: { domains: [search.domain.toLowerCase()] } },
              ...(Object.keys(contactsFilter).length === 0 ? {} : { contacts: { include: contactsFilter } })
            },
            includePartialContact: false
          }),
          Wire.SearchResponse,
          { free: true }
        )
        const ids = found.contacts.filter((c) => c.isShown !== false).slice(0, limit).map((c) => c.contactId)
        if (ids.length === 0) return []
        const key = Paid.enrichKey(ids)
        const hit = (yield* PaidResults.lookup(results, kept.enrich, [key])).get(key)
        if (hit !== undefined) return hit
        const enriched = yield* paid(
          ids.length,
          client.request(post("/prospecting/contact/enrich", { requestId: found.requestId, contactIds: ids }), Wire.EnrichResponse).pipe(
            Effect.map((r) => ({
              charged: r.contacts.filter((c) => c.isSuccess).length,
              contacts: r.contacts.flatMap((c) => c.isSuccess && c.data !== undefined ? [Wire.toContact(c.data, c.id)] : [])
            }))
          ),
          (r) => r.charged,
          (r) => PaidResults.keep(results, kept.enrich, [[key, r.contacts]])
        )
        return enriched.contacts
      })

      const lookupPerson = Effect.fn("Lusha.lookupPerson")(function*(input: Lusha.PersonQuery) {
        const query = yield* client.validate(Lusha.PersonQuery, input)
        const key = Paid.queryKey(query)
        const hit = (yield* PaidResults.lookup(results, kept.person, [key])).get(key)
        if (hit !== undefined) return hit
        const request = HttpClientRequest.get(`${baseUrl}/v2/person`).pipe(auth, HttpClientRequest.setUrlParams(query))
        const answer = yield* paid(
          1,
          client.policy(client.send(request, Wire.PersonResponse, { accept: [404] })).pipe(Effect.map(Paid.personAnswer)),
          (r) => (r.charged ? 1 : 0),
          (r) => r.error === undefined ? PaidResults.keep(results, kept.person, [[key, r.contact]]) : Effect.void
        )
        return answer.error === undefined ? answer.contact : yield* client.fail({ reason: "BadRequest", detail: answer.error })
      })

      const lookupPeople = Effect.fn("Lusha.lookupPeople")(function*(input: ReadonlyArray<Lusha.PersonQuery>) {
        const queries = yield* client.validate(Schema.Array(Lusha.PersonQuery), input)
        const keys = queries.map(Paid.queryKey)
        const answers = new Map(yield* PaidResults.lookup(results, kept.people, keys))
        // Each query not answered before is sent once, in calls of at most 100.
        const missing = [...new Map(keys.flatMap((key, i) => answers.has(key) ? [] : [[key, queries[i]!] as const]))]
        const chunks: Array<ReadonlyArray<readonly [string, Lusha.PersonQuery]>> = []
        for (let i = 0; i < missing.length; i += bulkLimit) chunks.push(missing.slice(i, i + bulkLimit))
        yield* Effect.forEach(chunks, (chunk, c) =>
          Effect.gen(function*() {
            const ids = chunk.map((_, i) => String(c * bulkLimit + i))
            const answer = yield* paid(
              chunk.length,
              client.request(
                post("/v2/person", {
                  contacts: chunk.map(([, query], i) => Wire.toBulkItem(ids[i]!, query)),
                  metadata: { partialProfile: false }
                }),
                Wire.BulkResponse
              ).pipe(Effect.map((r) => Paid.bulkAnswers(r, ids))),
              (r) => r.charged,
              (r) =>
                PaidResults.keep(
                  results,
                  kept.people,
                  chunk.flatMap(([key], i) => {
                    const one = r.answers[i]!
                    return one.error === undefined ? [[key, one.contact] as const] : []
                  })
                )
            )
            yield* Effect.forEach(chunk, ([key], i) => {
              const one = answer.answers[i]!
              answers.set(key, one.contact)
              return one.error === undefined
                ? Effect.void
                : Effect.logWarning(`Lusha could not look contact ${ids[i]} up: ${one.error}`)
            }, { discard: true })
          }), { discard: true })
        return keys.map((key) => answers.get(key) ?? Option.none())
      })

      return { findContacts, lookupPerson, lookupPeople } satisfies Lusha.Service
    })
  })

/**
 * Builds the live service over the `HttpClient`, `Budget` and `PaidResults`
 * in context (one {@link factory}, run once).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Lusha.Service, never, HttpClient.HttpClient | Budget.Budget | PaidResults.PaidResults | Scope.Scope> =>
  Effect.flatten(factory(options))

/**
 * The live Lusha service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<Lusha.Lusha, never, HttpClient.HttpClient | Budget.Budget | PaidResults.PaidResults> =>
  Layer.scoped(Lusha.Lusha, make(options))

/**
 * The options read from the environment: `LUSHA_API_KEY` (redacted) and
 * `LUSHA_BASE_URL` (optional; an http(s) URL without credentials, query or
 * fragment, checked when read).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  apiKey: Config.redacted(defaults.keyVariable).pipe(Config.withDescription("Lusha API key, sent in the api_key header")),
  baseUrl: BaseUrl.config("LUSHA_BASE_URL", "Lusha API base URL (default https://api.lusha.com)")
}).pipe(Config.map(({ baseUrl, ...rest }) => ({ ...rest, baseUrl: Option.getOrUndefined(baseUrl) })))

/**
 * The live Lusha service with its options read from `Config` (default
 * {@link config}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<Lusha.Lusha, ConfigError.ConfigError, HttpClient.HttpClient | Budget.Budget | PaidResults.PaidResults> =>
  Layer.scoped(Lusha.Lusha, Effect.flatMap(options, make))
