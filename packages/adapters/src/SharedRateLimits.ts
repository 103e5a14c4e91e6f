/**
 * Vendor rate limits shared by every process: with this service in the
 * context of the vendor adapters (`Vendors.connector`, `Vendors.layer`,
 * `Vendors.layerOdoo`, or an adapter's own `layer`/`factory`), their
 * client-side limits are taken from one `@effect/experimental`
 * `RateLimiter` instead of a bucket in each process, so the sum of every
 * worker's calls to a vendor keeps the configured rate. Without it (the
 * default, and the embedded single-process path) each process keeps its own
 * bucket, as before.
 *
 * A limit is keyed by vendor and a fingerprint of its key
 * (`vendor:Lusha:3f2a...`: a truncated SHA-256, never the key itself), so
 * two deployments with different keys do not share a limit, and an
 * endpoint with a limit of its own (ZeroBounce's batch validation) gets a
 * key of its own. The algorithm is the in-process one (see {@link Limit}:
 * calls spaced evenly, a token bucket or a fixed window); a caller waits
 * for its turn (one that wakes late for it takes a new turn, see
 * {@link make}), and a store that cannot be reached is retried
 * (backing off up to 5 seconds, with a warning) rather than letting a call
 * through unlimited.
 *
 * ```ts
 * // every process on the database shares the vendors' limits
 * Vendors.connector(options).pipe(Layer.provide(SharedRateLimits.layer()))
 * ```
 *
 * `Environment.layer({ ..., coordination: "database" })` does this for you.
 *
 * @since 0.1.0
 */
import { RateLimiter } from "@effect/experimental"
import type { SqlClient } from "@effect/sql"
import { Metrics } from "@leadgraph/core"
import { Clock, Context, Duration, Effect, Layer, Metric, Redacted } from "effect"
import { createHash } from "node:crypto"
import { retryStore } from "./internal/retryStore.js"
import * as RateLimiterStoreSql from "./store/RateLimiterStoreSql.js"

/**
 * A limit: at most `limit` calls per `interval`, by `algorithm` (default
 * `token-bucket`):
 * - `spaced`: no burst; calls start one {@link spacing} apart, that is
 *   `interval / limit` stretched by 1/60 (1 s a minute), so that no
 *   window of `interval` at the vendor holds more than `limit` calls even
 *   when their arrivals jitter: a caller may wake up to a quarter of a
 *   spacing (at most 0.25 s a minute) late for its turn and keep it, and
 *   the rest is left for the way to the vendor. (With 0.5 s a minute, a
 *   bench on two busy cores counted 299 and 300 calls of a 300 limit in
 *   one sliding minute at the fake vendor.) What a vendor's
 *   plan states ("300 requests a minute") is a `spaced` limit: the
 *   `*_PER_MINUTE` settings and the adapters' defaults are.
 * - `token-bucket`: a burst of `limit`, then one call every
 *   `interval / limit`; a window of `interval` may hold up to twice `limit`.
 * - `fixed-window`: `limit` calls at the start of each window.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limit {
  readonly limit: number
  readonly interval: Duration.DurationInput
  readonly algorithm?: "fixed-window" | "token-bucket" | "spaced" | undefined
}

/**
 * What a `spaced` limit allows per interval for jitter: 1/60 of it.
 */
const allowance = (limit: Limit): number => Duration.toMillis(Duration.decode(limit.interval)) / 60

/**
 * The time between two calls' starts under a `spaced` limit:
 * `(interval + interval / 60) / limit`, in whole milliseconds (at least
 * 1), so `limit` calls span more than `interval` by the jitter allowance.
 * 300 a minute are 204 ms apart; 40 a minute, 1,525 ms.
 *
 * @since 0.1.0
 * @category limits
 */
export const spacing = (limit: Limit): Duration.Duration =>
  Duration.millis(
    Math.max(1, Math.ceil((Duration.toMillis(Duration.decode(limit.interval)) + allowance(limit)) / limit.limit))
  )

/**
 * A vendor plan's "`n` requests a minute": a `spaced` limit of `n` per
 * minute, as the `*_PER_MINUTE` settings make it.
 *
 * @since 0.1.0
 * @category limits
 */
export const perMinute = (n: number): Limit => ({ limit: n, interval: "1 minute", algorithm: "spaced" })

/**
 * A limit as the store and the in-process bucket keep it: a `spaced` limit
 * is a token bucket of one that refills every {@link spacing}; the others
 * are themselves.
 *
 * @since 0.1.0
 * @category limits
 */
export const bucketOf = (limit: Limit): { readonly limit: number; readonly interval: Duration.DurationInput; readonly algorithm: "fixed-window" | "token-bucket" } =>
  limit.algorithm === "spaced"
    ? { limit: 1, interval: spacing(limit), algorithm: "token-bucket" }
    : { limit: limit.limit, interval: limit.interval, algorithm: limit.algorithm ?? "token-bucket" }

/**
 * The shared limits.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Waits until a call under `key` may start within `limit`. */
  readonly take: (key: string, limit: Limit) => Effect.Effect<void>
}

/**
 * The shared limits' tag; the vendor adapters look for it when they build
 * their clients.
 *
 * @since 0.1.0
 * @category tags
 */
export class SharedRateLimits extends Context.Tag("@leadgraph/adapters/SharedRateLimits")<SharedRateLimits, Service>() {}

/**
 * The key of a vendor's limit: its name and a fingerprint of what
 * identifies the account (its API key; for Odoo its URL, database and
 * login). Only the first 16 hex digits of a SHA-256 are kept.
 *
 * @since 0.1.0
 * @category keys
 */
export const keyOf = (vendor: string, identity: ReadonlyArray<string | Redacted.Redacted<string>>): string => {
  const hash = createHash("sha256")
  for (const part of identity) hash.update(Redacted.isRedacted(part) ? Redacted.value(part) : part).update("\u0000")
  return `vendor:${vendor}:${hash.digest("hex").slice(0, 16)}`
}

/**
 * How late a caller may wake for its turn and still take it: half the
 * spacing between turns (a call that late adds at most one to any window,
 * as any lateness short of a whole spacing would), and at least 10 ms
 * (timers and the event loop are not finer than that); under a `spaced`
 * limit a quarter of the spacing and at most a quarter of its jitter
 * allowance (0.25 s a minute), so that the rest of the allowance is left
 * for the way to the vendor.
 */
const lateness = (limit: Limit): number => {
  const bucket = bucketOf(limit)
  const spacingMillis = Duration.toMillis(Duration.decode(bucket.interval)) / bucket.limit
  return Math.max(10, limit.algorithm === "spaced" ? Math.min(spacingMillis / 4, allowance(limit) / 4) : spacingMillis / 2)
}

/**
 * Builds the shared limits over a `RateLimiter` in context.
 *
 * The store answers each caller with the time to wait for its turn, and
 * the turns are spaced by the limit; a caller that wakes later than that
 * (a starved process, a long pause) would send its call next to the
 * following turns' calls, and a window would hold more calls than the
 * limit. Such a caller lets its turn go (it stays counted) and takes a new
 * one, so every call starts within half a spacing of its turn (at least
 * 10 ms; under a `spaced` limit a quarter, at most 0.25 s a minute), plus
 * the way back of the store's answer. Turns let go are counted in the
 * `leadgraph_rate_limit_late_retakes` metric.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, RateLimiter.RateLimiter> = Effect.map(
  RateLimiter.RateLimiter,
  (limiter): Service => {
    const turn = (key: string, limit: Limit) => {
      const bucket = bucketOf(limit)
      return limiter.consume({
        key,
        limit: bucket.limit,
        window: bucket.interval,
        algorithm: bucket.algorithm,
        onExceeded: "delay"
      }).pipe(
        Effect.tapError((error) =>
          Effect.logWarning("the shared rate limit could not be read; retrying before the call").pipe(
            Effect.annotateLogs({ key, error: error.message })
          )
        ),
        Effect.retry(retryStore),
        // with onExceeded "delay" the limiter never fails with RateLimitExceeded,
        // and store failures are retried above for as long as the caller waits
        Effect.orDie,
        Effect.map(({ delay }) => Duration.toMillis(delay))
      )
    }
    // true when the caller woke in time for its turn (or had no wait). The
    // store's delay counts from when it read its clock, during the statement:
    // the caller sleeps the delay from the answer, so it is never early, and
    // is late by at most the answer's way back plus how late it woke.
    const wait = (delay: number, late: number) =>
      delay === 0 ? Effect.succeed(true) : Effect.gen(function*() {
        const from = yield* Clock.currentTimeMillis
        yield* Effect.sleep(Duration.millis(delay))
        return (yield* Clock.currentTimeMillis) - from - delay <= late
      })
    return {
      take: (key, limit) => {
        const late = lateness(limit)
        const loop = (retakes: number): Effect.Effect<number> =>
          turn(key, limit).pipe(
            Effect.flatMap((delay) => wait(delay, late)),
            Effect.flatMap((inTime) => inTime ? Effect.succeed(retakes) : loop(retakes + 1))
          )
        return loop(0).pipe(
          Effect.tap((retakes) =>
            retakes === 0 ? Effect.void : Effect.zipRight(
              Effect.annotateCurrentSpan("leadgraph.rate_limit.late_retakes", retakes),
              Metric.incrementBy(Metric.tagged(Metrics.rateLimitLateRetakes, "key", key), retakes)
            )
          ),
          Effect.asVoid,
          Effect.withSpan("SharedRateLimits.take", { attributes: { key } })
        )
      }
    }
  }
)

/**
 * The shared limits over the `RateLimiterStore` in context (memory, Redis,
 * or {@link RateLimiterStoreSql}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStore: Layer.Layer<SharedRateLimits, never, RateLimiter.RateLimiterStore> = Layer.effect(
  SharedRateLimits,
  make
).pipe(Layer.provide(RateLimiter.layer))

/**
 * The shared limits in Postgres ({@link RateLimiterStoreSql}), over the
 * `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: RateLimiterStoreSql.Options): Layer.Layer<SharedRateLimits, never, SqlClient.SqlClient> =>
  layerStore.pipe(Layer.provide(RateLimiterStoreSql.layer(options)))
