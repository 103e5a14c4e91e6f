/**
 * The ZeroBounce adapter: core's `ZeroBounce` port over ZeroBounce's v2 API
 * (`GET /validate`, `POST /validatebatch`, `GET /getcredits`; `api_key` in
 * the query or body, as ZeroBounce wants it, so HTTP tracing is off for
 * these requests).
 *
 * `verifyMany` normalises and de-duplicates the addresses, takes what the
 * `VerificationCache` holds, and verifies only the rest: up to
 * `singlesUpTo` addresses (default core's `ZeroBounce.singleVerificationLimit`,
 * 20) one by one, 4 at a time; more in batches of `batchSize` (default
 * 100), at most `concurrency` batches at a time (batch calls are limited to
 * 5 a minute). Each call is metered into the calling step's draw of
 * `"zerobounce.verifications"` (`Budget.metered`; outside a draw it reserves
 * its own units, one per address) and costs only the results that are not
 * `unknown` (free on ZeroBounce, and not cached). An address whose
 * single validation fails is reported in `rejected` with the error, unless
 * every one failed (the call then fails as the first did) or the failure
 * was the key or the credits (the call fails, after what was verified is
 * counted and cached). Concurrent calls of one service (one run's, when
 * built with `factory`) for the same address share one verification (one
 * pays, the others wait for its verdict).
 *
 * Each verdict is cached as soon as its call returns (per address for single
 * validations, per batch for batches), before that fiber sends its next
 * call and without an interruption in between, and what it cost is counted
 * then: a list interrupted after k of its n addresses keeps the k verdicts,
 * counts their k units, and a resume pays only for the other n - k.
 *
 * ZeroBounce reports a bad key and spent credits with the same HTTP 200
 * message; the adapter asks `getcredits` (free) to tell them apart: `-1` is
 * `Unauthorized`, zero is `OutOfCredits`. After `OutOfCredits` no further
 * paid call of the run is sent; after `Unauthorized` no call at all, and one
 * log line names `ZEROBOUNCE_API_KEY`.
 *
 * What a validation costs follows core's charge policy (`Budget.chargeOf`):
 * one unit per verdict that is not `unknown` when the answer could be read;
 * every unit of the call (1, or the batch's size) when ZeroBounce may have
 * billed it without an answer we could read (a truncated body, a hung call,
 * an interruption after sending); nothing when it refused the call.
 *
 * ```ts
 * const ZeroBounceLive = ZeroBounce.layerConfig().pipe(
 *   Layer.provide([NodeHttpClient.layerUndici, VerificationCache.layerMemory(), Budget.layerMemory(caps)])
 * )
 * ```
 *
 * @since 0.1.0
 */
import { type HttpClient, HttpClientRequest } from "@effect/platform"
import { Budget, type Retry, VerificationCache, ZeroBounce } from "@leadgraph/core"
import { Config, type ConfigError, type Duration, Effect, Either, Layer, Option, Redacted, type Scope } from "effect"
import * as BaseUrl from "../internal/http/BaseUrl.js"
import * as RateLimit from "../internal/http/RateLimit.js"
import * as SharedRateLimits from "../SharedRateLimits.js"
import * as VendorClient from "../internal/http/VendorClient.js"
import * as InFlight from "./internal/inflight.js"
import * as Wire from "./internal/wire.js"

/**
 * Options of the live adapter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The environment variable the key comes from, named when ZeroBounce refuses it (default {@link defaults}.keyVariable). */
  readonly keyVariable?: string | undefined
  /** Default {@link defaults}.baseUrl; the US and EU hosts work as well. */
  readonly baseUrl?: string | undefined
  /** Timeout of one single validation (default 30 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Timeout of one batch call (default 80 s: ZeroBounce may take 70 s). */
  readonly batchTimeout?: Duration.DurationInput | undefined
  /** Core's retry policy, partially overridden. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** Addresses per `validatebatch` call (default 100; ZeroBounce accepts up to 200). */
  readonly batchSize?: number | undefined
  /** Uncached addresses up to this many are validated one by one (default `ZeroBounce.singleVerificationLimit`). */
  readonly singlesUpTo?: number | undefined
  /** Batches in flight at once (default 2). */
  readonly concurrency?: number | undefined
  /** Client-side limit on `validate` calls (default 50 per second). */
  readonly rateLimit?: SharedRateLimits.Limit | undefined
  /** Client-side limit on `validatebatch` calls (default 5 a minute, ZeroBounce's own limit, spaced: a sixth in a minute blocks the key for 10 minutes). */
  readonly batchRateLimit?: SharedRateLimits.Limit | undefined
}

/**
 * Defaults of the live adapter (the key comes from `ZEROBOUNCE_API_KEY`).
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  keyVariable: "ZEROBOUNCE_API_KEY",
  baseUrl: "https://api.zerobounce.net/v2",
  timeout: "30 seconds",
  batchTimeout: "80 seconds",
  batchSize: 100,
  concurrency: 2,
  rateLimit: { limit: 50, interval: "1 second" },
  batchRateLimit: { limit: 5, interval: "1 minute", algorithm: "spaced" }
} as const

/**
 * Builds what belongs to the API key once, over the `HttpClient` in context:
 * the vendor client with its retries and key latch, and the rate limiters
 * of single and batch validations, owned by the scope. The effect it
 * returns builds a service over the `Budget` and `VerificationCache` in its
 * context, with its own registry of verifications in flight; run it once
 * per run (each tenant's run gives its own), and every service it builds
 * shares the client and its limits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const factory = (
  options: Options
): Effect.Effect<
  Effect.Effect<ZeroBounce.Service, never, Budget.Budget | VerificationCache.VerificationCache>,
  never,
  HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const client = yield* VendorClient.make({
      vendor: "ZeroBounce",
      keyVariable: options.keyVariable ?? defaults.keyVariable,
      secrets: [options.apiKey],
      makeError: (failure) => new ZeroBounce.ZeroBounceError(failure),
      timeout: options.timeout ?? defaults.timeout,
      retry: options.retry,
      errorDetail: Wire.errorDetail,
      secretInUrl: true
    })
    const limitKey = SharedRateLimits.keyOf("ZeroBounce", [options.apiKey])
    const singleLimit = yield* RateLimit.make(options.rateLimit ?? defaults.rateLimit, `${limitKey}:validate`)
    const batchLimit = yield* RateLimit.make(options.batchRateLimit ?? defaults.batchRateLimit, `${limitKey}:validatebatch`)
    const batchCall = { timeout: options.batchTimeout ?? defaults.batchTimeout, limit: batchLimit }
    const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, "")
    const batchSize = Math.max(1, Math.min(200, options.batchSize ?? defaults.batchSize))
    const concurrency = options.concurrency ?? defaults.concurrency
    const withKey = HttpClientRequest.setUrlParam("api_key", Redacted.value(options.apiKey))

    const getCredits = client.send(
      HttpClientRequest.get(`${baseUrl}/getcredits`).pipe(withKey),
      Wire.Credits,
      { free: true }
    )
    // ZeroBounce says "bad key or no credits" in one message; getcredits tells which.
    const classify = (message: string) =>
      Effect.gen(function*() {
        if (!Wire.isKeyOrCredits(message)) return yield* client.fail({ reason: "BadRequest", detail: message })
        const credits = yield* Effect.either(getCredits)
        if (credits._tag === "Right" && credits.right.Credits === 0) {
          return yield* client.fail({ reason: "OutOfCredits", detail: message })
        }
        return yield* client.fail({ reason: "Unauthorized", detail: message })
      })

    const verifyOnline = (email: string) =>
      client.policy(Effect.gen(function*() {
        const body = yield* client.send(
          HttpClientRequest.get(`${baseUrl}/validate`).pipe(
            withKey,
            HttpClientRequest.setUrlParams({ email, ip_address: "" })
          ),
          Wire.SingleResponse
        )
        return "error" in body ? yield* classify(body.error) : Wire.toVerdict(body)
      }), { limit: singleLimit })

    const verifyBatch = (emails: ReadonlyArray<string>) =>
      client.policy(Effect.gen(function*() {
        const body = yield* client.send(
          HttpClientRequest.post(`${baseUrl}/validatebatch`).pipe(
            HttpClientRequest.bodyUnsafeJson({
              api_key: Redacted.value(options.apiKey),
              email_batch: emails.map((email) => ({ email_address: email, ip_address: null }))
            })
          ),
          Wire.BatchResponse
        )
        if ("Message" in body) return yield* client.fail({ reason: "BadRequest", detail: body.Message })
        const all = body.errors.find((e) => e.email_address === "all")
        if (all !== undefined) return yield* classify(all.error)
        return Wire.toBatch(body)
      }), batchCall)

    const singlesUpTo = options.singlesUpTo ?? ZeroBounce.singleVerificationLimit
    // the key, the credits, or (outside a step's draw) the budget: no address of the list can go on
    const fatal = (e: ZeroBounce.ZeroBounceError | Budget.BudgetExhausted) =>
      e._tag === "BudgetExhausted" || e.reason === "Unauthorized" || e.reason === "OutOfCredits"
    const charged = (verdicts: ReadonlyArray<ZeroBounce.Verdict>) => verdicts.filter((v) => v.status !== "unknown").length
    const credits = client.policy(getCredits, { free: true }).pipe(
      Effect.flatMap((c) => c.Credits < 0 ? client.fail({ reason: "Unauthorized", detail: "ZeroBounce rejected the API key" }) : Effect.succeed(c.Credits)),
      Effect.withSpan("ZeroBounce.credits")
    )

    // @effect-diagnostics-next-line returnEffectInGen:off -- the per-run constructor, returned unrun: it runs once per run
    return Effect.gen(function*() {
      const budget = yield* Budget.Budget
      const cache = yield* VerificationCache.VerificationCache
      // Per run: concurrent calls share a verification only when they share the cache and the budget.
      const inflight = yield* InFlight.make<string, ZeroBounce.Verdict>()
      const cached = (emails: ReadonlyArray<string>) =>
        cache.getMany(emails).pipe(
          Effect.catchAll((error) =>
            Effect.as(Effect.logWarning("verification cache unavailable; treating as a miss", error), new Map())
          )
        )
      const remember = (verdicts: ReadonlyArray<ZeroBounce.Verdict>) => {
        const billable = verdicts.filter((v) => v.status !== "unknown")
        return billable.length === 0 ? Effect.void : cache.putMany(billable).pipe(
          Effect.catchAll((error) => Effect.logWarning("verification cache could not store verdicts", error))
        )
      }
      // A paid call metered into the calling step's draw (`Budget.metered`): its
      // verdicts cached (`keep`) and its cost counted as soon as it ends.
      const paid = <A>(
        call: Effect.Effect<A, ZeroBounce.ZeroBounceError>,
        options: { readonly units: number; readonly used: (a: A) => number; readonly keep: (a: A) => Effect.Effect<void> }
      ) => Budget.metered(ZeroBounce.budget, call, options).pipe(Effect.provideService(Budget.Budget, budget))
      // One validation: its verdict cached and its cost counted as soon as it ends.
      const single = { units: 1, used: (v: ZeroBounce.Verdict) => charged([v]), keep: (v: ZeroBounce.Verdict) => remember([v]) }

      // Up to `singlesUpTo` misses: one by one. Each verdict is cached and counted
      // as it arrives, also when the list is interrupted, and before any failure
      // is reported.
      const verifySingles = (misses: ReadonlyArray<string>, rejected: Array<{ readonly email: string; readonly error: string }>) =>
        Effect.gen(function*() {
          const outcomes = yield* Effect.forEach(misses, (email) =>
            paid(verifyOnline(email), single).pipe(
              Effect.either,
              Effect.map((result) => ({ email, result }))
            ), { concurrency: 4 })
          const verdicts = outcomes.flatMap((o) => Either.isRight(o.result) ? [o.result.right] : [])
          const failures = outcomes.flatMap((o) => Either.isLeft(o.result) ? [{ email: o.email, error: o.result.left }] : [])
          const first = failures.find((f) => fatal(f.error)) ?? (verdicts.length === 0 ? failures[0] : undefined)
          if (first !== undefined) return yield* first.error
          rejected.push(...failures.map((f) => ({ email: f.email, error: f.error.message })))
          return new Map(verdicts.map((v) => [v.email, v]))
        })

      // Verifies addresses this call owns (see inflight.ts): cache first, the rest one by one or in batches.
      const verifyOwned = (emails: ReadonlyArray<string>, rejected: Array<{ readonly email: string; readonly error: string }>) =>
        Effect.gen(function*() {
          const hits = yield* cached(emails)
          const misses = emails.filter((email) => !hits.has(email))
          if (misses.length === 0) return new Map(hits)
          if (misses.length <= singlesUpTo) {
            const found = yield* verifySingles(misses, rejected)
            return new Map([...hits, ...found])
          }
          const chunks: Array<ReadonlyArray<string>> = []
          for (let i = 0; i < misses.length; i += batchSize) chunks.push(misses.slice(i, i + batchSize))
          // Every batch runs to its end (no batch in flight is interrupted by another's
          // failure, so what ZeroBounce charged is committed and cached); then the first
          // failure, if any, is the call's.
          const outcomes = yield* Effect.forEach(chunks, (chunk) =>
            paid(verifyBatch(chunk), {
              units: chunk.length,
              used: (r) => charged(r.verdicts),
              keep: (r) => remember(r.verdicts)
            }).pipe(Effect.either), { concurrency })
          const failure = outcomes.find(Either.isLeft)
          if (failure !== undefined) return yield* failure.left
          const results = outcomes.filter(Either.isRight).map((o) => o.right)
          const refused = results.flatMap((r) => r.rejected)
          if (refused.some((r) => Wire.isKeyOrCredits(r.error))) {
            // Some addresses were refused for lack of credits: what was verified is cached, the rest waits.
            return yield* client.policy(client.fail({ reason: "OutOfCredits", detail: "the account ran out of credits mid-batch" }))
          }
          rejected.push(...refused)
          const verdicts = new Map<string, ZeroBounce.Verdict>(hits)
          for (const r of results) for (const v of r.verdicts) verdicts.set(v.email, v)
          return verdicts
        })

      const verifyMany = Effect.fn("ZeroBounce.verifyMany")(function*(input: ReadonlyArray<string>) {
        const emails = [...new Set(input.map(ZeroBounce.normalizeEmail))]
        const rejected: Array<{ readonly email: string; readonly error: string }> = []
        const verdicts = yield* inflight.run(emails, (owned) => verifyOwned(owned, rejected))
        return new ZeroBounce.Verification({
          verdicts: emails.flatMap((email) => {
            const verdict = verdicts.get(email)
            return verdict === undefined ? [] : [verdict]
          }),
          rejected
        })
      })

      const verifyOne = (email: string) =>
        Effect.gen(function*() {
          const hit = (yield* cached([email])).get(email)
          if (hit !== undefined) return hit
          return yield* paid(verifyOnline(email), single)
        })

      const verify = Effect.fn("ZeroBounce.verify")(function*(input: string) {
        const email = ZeroBounce.normalizeEmail(input)
        const verdicts = yield* inflight.run([email], () => Effect.map(verifyOne(email), (v) => new Map([[email, v]])))
        const verdict = verdicts.get(email)
        return verdict === undefined ? yield* client.fail({ reason: "BadResponse", detail: "no verdict was returned" }) : verdict
      })

      return { verify, verifyMany, credits } satisfies ZeroBounce.Service
    })
  })

/**
 * Builds the live service over the `HttpClient`, `Budget` and
 * `VerificationCache` in context (one {@link factory}, run once).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<
  ZeroBounce.Service,
  never,
  HttpClient.HttpClient | Budget.Budget | VerificationCache.VerificationCache | Scope.Scope
> => Effect.flatten(factory(options))

/**
 * The live ZeroBounce service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  ZeroBounce.ZeroBounce,
  never,
  HttpClient.HttpClient | Budget.Budget | VerificationCache.VerificationCache
> => Layer.scoped(ZeroBounce.ZeroBounce, make(options))

/**
 * The options read from the environment: `ZEROBOUNCE_API_KEY` (redacted) and
 * `ZEROBOUNCE_BASE_URL` (optional; an http(s) URL without credentials, query or
 * fragment, checked when read).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  apiKey: Config.redacted(defaults.keyVariable).pipe(
    Config.withDescription("ZeroBounce API key, sent as the api_key parameter")
  ),
  baseUrl: BaseUrl.config("ZEROBOUNCE_BASE_URL", "ZeroBounce API base URL ending in /v2 (default https://api.zerobounce.net/v2; regional: https://api-us.zerobounce.net/v2, https://api-eu.zerobounce.net/v2)")
}).pipe(Config.map(({ baseUrl, ...rest }) => ({ ...rest, baseUrl: Option.getOrUndefined(baseUrl) })))

/**
 * The live ZeroBounce service with its options read from `Config` (default
 * {@link config}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<
  ZeroBounce.ZeroBounce,
  ConfigError.ConfigError,
  HttpClient.HttpClient | Budget.Budget | VerificationCache.VerificationCache
> => Layer.scoped(ZeroBounce.ZeroBounce, Effect.flatMap(options, make))
