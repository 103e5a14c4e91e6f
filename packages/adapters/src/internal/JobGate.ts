/**
 * A worker's gate for the jobs it is handed: at most `concurrency` run at
 * once, the rest wait for a turn; once {@link JobGate.drain} is called no
 * job starts any more (one that waits, or arrives, is held: it never
 * completes, so its message stays unanswered until the worker leaves the
 * cluster and another worker takes it), and `drain` completes when the
 * jobs that had started have ended.
 *
 * `CompanyEnrichmentEntity.layer` runs each `Enrich` through one.
 *
 * @internal
 */
import { Effect, Option } from "effect"

/**
 * The gate.
 *
 * @internal
 */
export interface JobGate {
  /** Runs `job` when a turn comes, or never if the worker drains first. */
  readonly run: <A, E, R>(job: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Stops starting jobs and waits until those running have ended; how many were running. */
  readonly drain: Effect.Effect<number>
  /** Jobs running now. */
  readonly running: Effect.Effect<number>
}

/**
 * A gate of `concurrency` turns (at least 1).
 *
 * @internal
 */
export const make = (concurrency: number): Effect.Effect<JobGate> => {
  const turns = Math.max(1, concurrency)
  return Effect.map(Effect.makeSemaphore(turns), (permits) => {
    let draining = false
    let running = 0
    const run = <A, E, R>(job: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() =>
        draining ? Effect.never : permits.withPermits(1)(Effect.suspend(() => {
          // the turn came after the drain began: give it back and hold the job
          if (draining) return Effect.succeed(Option.none())
          running++
          return Effect.exit(job).pipe(
            Effect.ensuring(Effect.sync(() => void running--)),
            Effect.map(Option.some)
          )
        })).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.never, onSome: (exit) => exit })))
      )
    return {
      run,
      drain: Effect.suspend(() => {
        draining = true
        const started = running
        // every turn free: nothing runs any more
        return Effect.as(permits.withPermits(turns)(Effect.void), started)
      }),
      running: Effect.sync(() => running)
    }
  })
}
