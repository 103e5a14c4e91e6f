/**
 * Per-key concurrency limits shared by every fiber of one run: a semaphore
 * per key, created on first use and dropped when its last user leaves, so
 * memory follows the keys in flight, not the keys ever seen.
 *
 * @internal
 */
import { Effect } from "effect"

interface Entry {
  readonly semaphore: Effect.Semaphore
  users: number
}

/** @internal */
export interface KeyedLimiter {
  readonly withKey: <A, E, R>(key: string, limit: number, self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Keys currently held or waited for (for tests). */
  readonly size: () => number
}

/** @internal */
export const make = (): KeyedLimiter => {
  const entries = new Map<string, Entry>()
  return {
    size: () => entries.size,
    withKey: (key, limit, self) =>
      Effect.suspend(() => {
        let entry = entries.get(key)
        if (entry === undefined) {
          entry = { semaphore: Effect.unsafeMakeSemaphore(limit), users: 0 }
          entries.set(key, entry)
        }
        const e = entry
        e.users++
        return e.semaphore.withPermits(1)(self).pipe(
          Effect.ensuring(Effect.sync(() => {
            if (--e.users === 0) entries.delete(key)
          }))
        )
      })
  }
}
