/**
 * Retryability as data on the error, and one policy that applies it. An error
 * is retried only when it carries `retryable: true`; a `retryAfter` on it
 * (from a vendor's `Retry-After`, say) stretches the next delay, within a cap.
 * The engine and every adapter use this module, so a retry means the same
 * thing everywhere.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule } from "effect"
import { dual } from "effect/Function"

/**
 * The shape an error takes to opt into retries. Tagged errors implement it
 * with a `retryable` getter derived from their `reason`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Retryable {
  readonly retryable: boolean
  readonly retryAfter?: Duration.Duration | undefined
}

/**
 * True when the value is an error marked retryable.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (u: unknown): boolean =>
  typeof u === "object" && u !== null && (u as Partial<Retryable>).retryable === true

const retryAfterOf = (u: unknown): Duration.Duration | undefined =>
  typeof u === "object" && u !== null && Duration.isDuration((u as Partial<Retryable>).retryAfter)
    ? (u as Retryable).retryAfter
    : undefined

/**
 * The retry policy: exponential backoff from `base` by `factor`, jittered,
 * each delay at most `maxDelay`, at most `retries` retries after the first
 * attempt. A `retryAfter` on the error is honoured up to `maxRetryAfter`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly base: Duration.DurationInput
  readonly factor: number
  readonly retries: number
  readonly maxDelay: Duration.DurationInput
  readonly maxRetryAfter: Duration.DurationInput
  readonly jitter: boolean
}

/**
 * The default policy: 250 ms doubling, jittered, at most 3 retries, delays
 * capped at 10 s and `Retry-After` honoured up to 60 s.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults: Policy = {
  base: "250 millis",
  factor: 2,
  retries: 3,
  maxDelay: "10 seconds",
  maxRetryAfter: "60 seconds",
  jitter: true
}

/**
 * The schedule for a policy. Its input is the error; it stops at once on an
 * error that is not retryable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const schedule = (policy?: Partial<Policy>): Schedule.Schedule<Duration.Duration, unknown> => {
  const p = { ...defaults, ...policy }
  const maxDelay = Duration.decode(p.maxDelay)
  const maxRetryAfter = Duration.decode(p.maxRetryAfter)
  const backoff = p.jitter ? Schedule.jittered(Schedule.exponential(p.base, p.factor)) : Schedule.exponential(p.base, p.factor)
  return backoff.pipe(
    Schedule.intersect(Schedule.recurs(p.retries)),
    Schedule.intersect(Schedule.identity<unknown>()),
    Schedule.whileInput(isRetryable),
    Schedule.modifyDelay(([, error], delay) => {
      const capped = Duration.min(delay, maxDelay)
      const after = retryAfterOf(error)
      return after === undefined ? capped : Duration.max(capped, Duration.min(after, maxRetryAfter))
    }),
    Schedule.map(([[delay]]) => delay)
  )
}

/**
 * Retries an effect under a policy (default {@link defaults}); only
 * retryable errors are retried.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  (policy?: Partial<Policy>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy?: Partial<Policy>): Effect.Effect<A, E, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, policy?: Partial<Policy>): Effect.Effect<A, E, R> =>
    Effect.retry(self, schedule(policy))
)
