/**
 * A Postgres store for `@effect/experimental`'s `RateLimiter`: the
 * `RateLimiterStore` port (whose other stores keep their counters in memory
 * or Redis) over the `leadgraph_rate_limits` table of migration 18, so every
 * process on one database draws from the same limits.
 *
 * Each call is one statement (a function of migration 18) that updates the
 * key's row under its lock, with the database's clock: processes on
 * machines whose clocks differ still agree, and what comes back is relative
 * (tokens left, milliseconds to wait), so a caller sleeps on its own clock.
 *
 * - `tokenBucket` is a continuous bucket of `limit` tokens refilled one per
 *   `refillRate`: the same burst and rate as Effect's in-memory bucket. With
 *   `allowOverflow` (the `RateLimiter`'s `onExceeded: "delay"`) the count
 *   goes negative and each caller's delay is exactly its place in the
 *   queue: the fraction of a token is kept, not rounded to whole tokens. A
 *   caller interrupted while it waits has spent its turn (the limit is never
 *   exceeded; a little throughput is lost).
 * - `fixedWindow` counts as the memory and Redis stores do.
 *
 * ```ts
 * const limiter = RateLimiter.layer.pipe(Layer.provide(RateLimiterStoreSql.layer()))
 * ```
 *
 * @since 0.1.0
 */
import { RateLimiter } from "@effect/experimental"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, DateTime, Duration, Effect, Layer } from "effect"

/**
 * Options of the store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Whose clock refills the buckets: the database's (the default: every
   * machine agrees) or this process's `Clock` (tests drive it with
   * `TestClock`; in production every process must then keep good time).
   */
  readonly clock?: "database" | "effect" | undefined
}

/**
 * The store's service: `@effect/experimental`'s `RateLimiterStore`.
 *
 * @since 0.1.0
 * @category models
 */
export type Service = typeof RateLimiter.RateLimiterStore.Service

const storeError = (operation: string) => (cause: SqlError) =>
  new RateLimiter.RateLimitStoreError({ message: `the rate limit store could not ${operation}: ${cause.message}`, cause })

/**
 * Builds the store over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Service, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => {
    const now: Effect.Effect<string | null> = options?.clock === "effect"
      ? Effect.map(Clock.currentTimeMillis, (millis) => DateTime.formatIso(DateTime.unsafeMake(millis)))
      : Effect.succeed(null)
    return RateLimiter.RateLimiterStore.of({
      tokenBucket: (o) =>
        Effect.flatMap(now, (at) =>
          sql<{ remaining: number }>`SELECT leadgraph_rate_limit_bucket(${o.key}, ${o.tokens}::double precision,
            ${o.limit}::double precision, ${Duration.toMillis(o.refillRate)}::double precision,
            ${o.allowOverflow}, ${at}::timestamptz) AS remaining`).pipe(
            Effect.map(([row]) => Number(row!.remaining)),
            Effect.mapError(storeError("take a token")),
            Effect.withSpan("RateLimiterStoreSql.tokenBucket", { attributes: { key: o.key } })
          ),
      fixedWindow: (o) =>
        Effect.flatMap(now, (at) =>
          sql<{ count: number; ttl: number }>`SELECT w.count, w.ttl_ms AS ttl FROM leadgraph_rate_limit_window(
            ${o.key}, ${o.tokens}::integer, ${Duration.toMillis(o.refillRate)}::double precision,
            ${o.limit ?? null}::integer, ${at}::timestamptz) w`).pipe(
            Effect.map(([row]) => [Number(row!.count), Math.max(0, Math.ceil(Number(row!.ttl)))] as const),
            Effect.mapError(storeError("count a window")),
            Effect.withSpan("RateLimiterStoreSql.fixedWindow", { attributes: { key: o.key } })
          )
    })
  })

/**
 * The store as a layer, over the `SqlClient` in context (the runtime role
 * needs migration 18).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<RateLimiter.RateLimiterStore, never, SqlClient.SqlClient> =>
  Layer.effect(RateLimiter.RateLimiterStore, make(options))
