/**
 * A `Clock` whose time runs `factor` times faster than the wall clock: every
 * `Effect.sleep` (vendor latencies in the fakes, rate limiters, the
 * crawler's politeness gaps, timeouts, retry back-offs) takes `1 / factor`
 * of its duration, and `currentTimeMillis` reads `origin + elapsed * factor`,
 * so every duration measured through `Clock` is already at real scale.
 *
 * A sleep never ends early (it re-arms until the scaled time has come), so a
 * client-side rate limiter can never outrun the fake vendor's window.
 */
import { Clock, Duration, Effect } from "effect"
import { performance } from "node:perf_hooks"

/**
 * The scaled clock, with its factor and the real wall time elapsed.
 */
export interface ScaledClock {
  readonly clock: Clock.Clock
  readonly factor: number
  /** Real milliseconds since the clock was made. */
  readonly wallMillis: () => number
}

/**
 * Makes a clock running `factor` times faster than real time from `origin`
 * (epoch milliseconds, default now). Clocks made with the same origin in
 * several threads agree.
 */
export const make = (factor: number, origin: number = performance.timeOrigin + performance.now()): ScaledClock => {
  const wall = () => performance.timeOrigin + performance.now() - origin
  const exact = () => origin + wall() * factor
  const nowMillis = () => Math.floor(exact())
  const nowNanos = () => BigInt(Math.round(origin)) * 1_000_000n + BigInt(Math.round(wall() * factor * 1e6))
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: nowMillis,
    currentTimeMillis: Effect.sync(nowMillis),
    unsafeCurrentTimeNanos: nowNanos,
    currentTimeNanos: Effect.sync(nowNanos),
    sleep: (duration: Duration.Duration) =>
      Effect.async<void>((resume) => {
        const millis = Duration.toMillis(duration)
        if (!Number.isFinite(millis)) return
        const target = exact() + millis
        let handle: ReturnType<typeof setTimeout> | undefined
        const arm = () => {
          const left = (target - exact()) / factor
          if (left <= 0.02) {
            handle = undefined
            return resume(Effect.void)
          }
          handle = setTimeout(arm, Math.max(1, Math.ceil(left)))
        }
        arm()
        return Effect.sync(() => {
          if (handle !== undefined) clearTimeout(handle)
        })
      })
  }
  return { clock, factor, wallMillis: wall }
}
