/**
 * The per-vendor client-side rate limiter, over Effect's `RateLimiter`.
 * Build it once in an adapter's `make` (it needs a `Scope`, so the adapter's
 * Layer is `Layer.scoped`) and wrap each attempt:
 *
 * ```ts
 * const limit = yield* RateLimit.make(options.rateLimit) // undefined = no limit
 * const limited = limit(sendOnce)
 * ```
 *
 * `VendorClient.make` does this for you; use this module directly only for a
 * client that does not go through `VendorClient` (the OpenAI SDK adapter).
 *
 * @internal
 */
import type { Duration, Scope } from "effect"
import { Effect, RateLimiter } from "effect"

/**
 * At most `limit` requests per `interval`. The default algorithm,
 * `token-bucket`, spreads requests evenly; `fixed-window` lets a burst of
 * `limit` through at the start of each window.
 *
 * @internal
 */
export interface Options {
  readonly limit: number
  readonly interval: Duration.DurationInput
  readonly algorithm?: "fixed-window" | "token-bucket" | undefined
}

/**
 * Wraps an effect so that its start waits for the limiter.
 *
 * @internal
 */
export type Limit = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * A limiter for `options`, or the identity when `options` is undefined.
 *
 * @internal
 */
export const make = (options: Options | undefined): Effect.Effect<Limit, never, Scope.Scope> =>
  options === undefined
    ? Effect.succeed(<A, E, R>(self: Effect.Effect<A, E, R>) => self)
    : Effect.map(
      RateLimiter.make({
        limit: options.limit,
        interval: options.interval,
        algorithm: options.algorithm ?? "token-bucket"
      }),
      (limiter): Limit => limiter
    )
