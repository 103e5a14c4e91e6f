/**
 * A counting semaphore that hands a released permit to the first waiter
 * (FIFO), for permits that many fibers wait on: the client-side rate
 * limiters, where a whole run's companies queue.
 *
 * Effect 3's `Semaphore` wakes every waiter on each release and all but one
 * go back to sleep, so a release costs time in proportion to the queue: with
 * 200 fibers on 2 permits, about 3 ms of CPU per task instead of 50 us (in
 * `npm run bench -- pipeline --count detail`, those wake-ups were about a
 * fifth of the main thread's Effect operations).
 *
 * Waiting is interruptible. A permit handed to a fiber that is interrupted
 * before it runs again goes to the next waiter, so none is lost.
 *
 * @internal
 */
import { Effect } from "effect"

/** @internal */
export interface Permits {
  /** Runs `self` holding one permit, waiting for it in turn. */
  readonly withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Takes one permit and keeps it (see `release`); waits in turn. */
  readonly take: Effect.Effect<void>
  /** Gives one permit back: to the first waiter, if any. */
  readonly release: Effect.Effect<void>
  /** Permits free now (none while fibers wait). */
  readonly available: () => number
  /** Fibers waiting now. */
  readonly waiting: () => number
}

/**
 * A semaphore with `permits` permits free.
 *
 * @internal
 */
export const unsafeMake = (permits: number): Permits => {
  let free = permits
  // a Set iterates in insertion order: the first waiter is the oldest
  const waiters = new Set<() => void>()

  const releaseUnsafe = () => {
    for (const waiter of waiters) {
      waiters.delete(waiter)
      return waiter()
    }
    free++
  }

  const take: Effect.Effect<void> = Effect.suspend(() => {
    let granted = false
    return Effect.interruptible(Effect.async<void>((resume) => {
      if (free > 0) {
        free--
        granted = true
        return resume(Effect.void)
      }
      const waiter = () => {
        granted = true
        resume(Effect.void)
      }
      waiters.add(waiter)
      return Effect.sync(() => void waiters.delete(waiter))
    })).pipe(
      // interrupted after the permit was handed over: pass it on
      Effect.onInterrupt(() => Effect.sync(() => granted && releaseUnsafe())),
      Effect.uninterruptible
    )
  })

  const release = Effect.sync(releaseUnsafe)

  return {
    take,
    release,
    withPermit: (self) => Effect.uninterruptibleMask((restore) => Effect.zipRight(take, Effect.ensuring(restore(self), release))),
    available: () => free,
    waiting: () => waiters.size
  }
}

/**
 * A semaphore with `permits` permits free, made when the effect runs.
 *
 * @internal
 */
export const make = (permits: number): Effect.Effect<Permits> => Effect.sync(() => unsafeMake(permits))
