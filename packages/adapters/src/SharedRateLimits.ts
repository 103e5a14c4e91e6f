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
 * key of its own. The algorithm is the in-process one (a token bucket: a
 * burst of `limit`, then one call every `interval / limit`; or a fixed
 * window); a caller waits for its turn, and a store that cannot be reached
 * is retried (backing off up to 5 seconds, with a warning) rather than
 * letting a call through unlimited.
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
import { Context, Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { createHash } from "node:crypto"
import * as RateLimiterStoreSql from "./store/RateLimiterStoreSql.js"

/**
 * A limit: at most `limit` calls per `interval`, by `algorithm` (default
 * `token-bucket`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Limit {
  readonly limit: number
  readonly interval: Duration.DurationInput
  readonly algorithm?: "fixed-window" | "token-bucket" | undefined
}

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

const retryStore = Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))

/**
 * Builds the shared limits over a `RateLimiter` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, RateLimiter.RateLimiter> = Effect.map(
  RateLimiter.RateLimiter,
  (limiter): Service => ({
    take: (key, limit) =>
      limiter.consume({
        key,
        limit: limit.limit,
        window: limit.interval,
        algorithm: limit.algorithm ?? "token-bucket",
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
        Effect.flatMap(({ delay }) => Duration.isZero(delay) ? Effect.void : Effect.sleep(delay)),
        Effect.withSpan("SharedRateLimits.take", { attributes: { key } })
      )
  })
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
