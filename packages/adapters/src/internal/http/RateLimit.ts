/**
 * The per-vendor client-side rate limiter: Effect's `RateLimiter` algorithms,
 * the token bucket (the default) on a FIFO semaphore (see `tokenBucket`).
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
 * When `SharedRateLimits` is in the context of `make` and a `key` is given
 * (`SharedRateLimits.keyOf`: the vendor and a fingerprint of its key), the
 * limit is the shared one instead, taken by every process that uses the same
 * store (cluster mode); otherwise the bucket is this process's.
 *
 * @internal
 */
import type { Scope } from "effect"
import { Duration, Effect, Option, RateLimiter } from "effect"
import * as SharedRateLimits from "../../SharedRateLimits.js"
import * as Permits from "../Permits.js"

/**
 * At most `limit` requests per `interval` (`SharedRateLimits.Limit`):
 * `spaced` (no burst: one request every `SharedRateLimits.spacing`),
 * `token-bucket` (the default when no algorithm is named: a burst of
 * `limit`, then one every `interval / limit`) or `fixed-window` (a burst of
 * `limit` at the start of each window).
 *
 * @internal
 */
export type Options = SharedRateLimits.Limit

/**
 * Wraps an effect so that its start waits for the limiter.
 *
 * @internal
 */
export type Limit = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * Effect's token bucket (`RateLimiter.make`, algorithm `token-bucket`) over
 * {@link Permits}: the same refill (one token every `interval / limit`, up
 * to `limit`, a refill fiber that sleeps while the bucket is full), but a
 * token goes to the first waiter instead of waking every one. A run queues
 * all its companies on Lusha's limiter, and Effect's Semaphore wakes the
 * whole queue on each token.
 */
const tokenBucket = (limit: number, interval: Duration.DurationInput): Effect.Effect<Limit, never, Scope.Scope> =>
  Effect.gen(function*() {
    const millisPerToken = Math.ceil(Duration.toMillis(interval) / limit)
    const tokens = yield* Permits.make(limit)
    // one waiter (the refill fiber): Effect's Semaphore is fine here
    const spent = yield* Effect.makeSemaphore(0)
    const refill: Effect.Effect<void> = Effect.sleep(millisPerToken).pipe(
      Effect.zipRight(spent.releaseAll),
      Effect.zipRight(tokens.release),
      Effect.flatMap(() => tokens.available() === limit ? Effect.void : refill)
    )
    yield* spent.take(1).pipe(Effect.zipRight(refill), Effect.forever, Effect.forkScoped, Effect.interruptible)
    // waiting for a token is interruptible (inside `tokens.take`); telling the
    // refill fiber that one was spent is not, or the bucket would stop refilling
    const take = Effect.uninterruptible(Effect.zipRight(tokens.take, spent.release(1)))
    return <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(take, self)
  })

/**
 * A limiter for `options`, or the identity when `options` is undefined;
 * the shared one under `key` when `SharedRateLimits` is in context.
 *
 * @internal
 */
export const make = (options: Options | undefined, key?: string): Effect.Effect<Limit, never, Scope.Scope> =>
  options === undefined
    ? Effect.succeed(<A, E, R>(self: Effect.Effect<A, E, R>) => self)
    : Effect.flatMap(Effect.serviceOption(SharedRateLimits.SharedRateLimits), (shared) =>
      Option.isSome(shared) && key !== undefined
        ? Effect.succeed(<A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(shared.value.take(key, options), self))
        : local(options))

const local = (options: Options): Effect.Effect<Limit, never, Scope.Scope> => {
  const bucket = SharedRateLimits.bucketOf(options)
  return bucket.algorithm === "token-bucket"
    ? tokenBucket(bucket.limit, bucket.interval)
    : Effect.map(
      RateLimiter.make({ limit: bucket.limit, interval: bucket.interval, algorithm: "fixed-window" }),
      (limiter): Limit => limiter
    )
}
