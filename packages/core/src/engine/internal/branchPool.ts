/**
 * Long-lived fibers that run the parallel branches of targets. Forking a
 * fiber per branch costs tens of microseconds; handing a branch to a waiting
 * worker costs one scheduler hop. Workers are started on demand, up to a
 * maximum, and stop with the scope that owns the pool. (Effect's `Queue` and
 * `Deferred` would do, but each wait allocates a costly `Deferred`; a
 * resumable `Effect.async` per idle worker is all this needs.)
 *
 * @internal
 */
import { Effect } from "effect"
import type { Scope } from "effect"

type Branch = Effect.Effect<void, never, unknown>

/** @internal */
export interface BranchPool {
  /** Runs the branch on a worker; returns at once. The branch must not fail. */
  readonly dispatch: (branch: Branch) => Effect.Effect<void>
}

/** @internal */
export const make = (maxWorkers: number): Effect.Effect<BranchPool, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const idle: Array<(next: Effect.Effect<void>) => void> = []
    let queued: Array<Branch> = []
    let head = 0
    let workers = 0
    const takeQueued = (): Branch | undefined => {
      if (head === queued.length) return undefined
      const branch = queued[head++]
      if (head === queued.length) {
        queued = []
        head = 0
      }
      return branch
    }
    const next: Effect.Effect<void> = Effect.suspend(() => {
      const branch = takeQueued()
      if (branch !== undefined) return branch as Effect.Effect<void>
      return Effect.async<void>((resume) => {
        idle.push(resume)
        return Effect.sync(() => {
          const i = idle.indexOf(resume)
          if (i >= 0) idle.splice(i, 1)
        })
      })
    })
    const worker = Effect.forever(next)
    return {
      dispatch: (branch) =>
        Effect.suspend(() => {
          const resume = idle.pop()
          if (resume !== undefined) {
            resume(branch as Effect.Effect<void>)
            return Effect.void
          }
          queued.push(branch)
          if (workers < maxWorkers) {
            workers++
            return Effect.asVoid(Effect.forkIn(worker, scope))
          }
          return Effect.void
        })
    }
  })
