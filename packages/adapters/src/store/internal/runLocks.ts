/**
 * Tenant run locks over Postgres session-level advisory locks, shared by
 * every process on the database.
 *
 * The key is a 64-bit hash of a fixed namespace, the schema the store works
 * in and the tenant id (`hashtextextended`), so two deployments in two
 * schemas of one database do not exclude each other. The locks are taken
 * on one connection reserved from the pool while any lock is held (not one
 * connection per lock: a kickoff of every tenant at once would otherwise
 * pin the whole pool and starve the runs themselves), and released with
 * `pg_advisory_unlock`; when that connection closes — its process died —
 * Postgres frees them. Session locks are reentrant within a session, so an
 * in-process set decides first: a tenant is never locked twice through one
 * store. On a database whose connections share one session (PGlite behind
 * `pglite-socket`) an advisory lock cannot exclude anything, and the set
 * alone decides (PGlite serves one process).
 *
 * A connection can also close under a live process (Postgres restarting, a
 * proxy cutting it), and its locks go with it. So while any lock is held, a
 * keeper checks the connection every `checkInterval` (`SELECT 1`); when it
 * is gone, or a statement on it failed, the keeper opens a new session
 * (retrying, with a backoff capped at {@link defaults}' `maxBackoff`, while
 * Postgres is down and any of those locks is still held) and takes each of
 * them again with `pg_try_advisory_lock`. A lock another process took in
 * the meantime is lost: logged as an error naming the tenant, and signalled
 * to its holder through `runLockLost`. A connection that hangs rather than
 * fails may still hold its locks: they are taken again only once it has
 * answered its `pg_advisory_unlock_all()` or failed, so that a lock it
 * still holds is not mistaken for another process's.
 *
 * @internal
 */
import type { SqlClient, SqlConnection, SqlError } from "@effect/sql"
import type { Store, Tenant } from "@leadgraph/core"
import { Cause, Deferred, Duration, Effect, Equal, Exit, Fiber, Option, Schedule, Scope } from "effect"
import { mapErrors } from "./errors.js"

/** A connection reserved from the pool, which the locks of this store are held on. */
interface Session {
  readonly connection: SqlConnection.Connection
  readonly scope: Scope.CloseableScope
  /** A statement failed on it: its connection is gone, and its locks with it. */
  broken: boolean
}

/** A tenant's lock held through this store, and where it is now. */
interface Held {
  /** On a session; to be taken again on a new one; lost to another process; or only in-process (PGlite). */
  on: Session | "retaking" | "lost" | "local"
  readonly lost: Deferred.Deferred<void>
}

/**
 * How often the keeper checks the locks' connection, and the longest pause
 * between two attempts to open a new one while Postgres is down.
 *
 * @internal
 */
export const defaults = { checkInterval: Duration.seconds(5), maxBackoff: Duration.seconds(3) }

/** @internal */
export interface Options {
  readonly checkInterval?: Duration.DurationInput | undefined
}

/** @internal */
export interface RunLocks {
  readonly tryLockRun: Store.Service["tryLockRun"]
  readonly runLockLost: Store.Service["runLockLost"]
}

const key = "hashtextextended(concat_ws(':', 'leadgraph.run', current_schema(), $1::text), 0)"

/**
 * Builds `tryLockRun` and `runLockLost` for a store over `sql`.
 *
 * @internal
 */
export const make = (
  sql: SqlClient.SqlClient,
  sharedSession: boolean,
  options: Options = {}
): Effect.Effect<RunLocks> =>
  Effect.map(Effect.makeSemaphore(1), (mutex) => {
    const checkInterval = Duration.decode(options.checkInterval ?? defaults.checkInterval)
    const locked = mutex.withPermits(1)
    const held = new Map<Tenant.TenantId, Held>()
    // every lock on a session is on this one
    let current: Session | undefined
    let keeper: Fiber.RuntimeFiber<void> | undefined
    let outage = false
    // abandoned sessions going back to the pool: a hung one may still hold
    // its locks until its unlock_all is answered or its connection fails
    const retiring = new Set<Fiber.RuntimeFiber<void>>()

    const open: Effect.Effect<Session, SqlError.SqlError> = Effect.gen(function*() {
      const scope = yield* Scope.make()
      const connection = yield* Scope.extend(sql.reserve, scope).pipe(
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
      )
      return { connection, scope, broken: false } satisfies Session
    })

    const flag = (session: Session, statement: string, tenantId: Tenant.TenantId) =>
      Effect.map(
        session.connection.execute(`SELECT ${statement}(${key}) AS ok`, [tenantId], undefined),
        (rows) => (rows[0] as { readonly ok?: unknown } | undefined)?.ok === true
      )

    const holders = (session: Session) => {
      let n = 0
      for (const h of held.values()) if (h.on === session) n++
      return n
    }
    const retaking = () => [...held.values()].some((h) => h.on === "retaking")
    const needsKeeper = () => [...held.values()].some((h) => typeof h.on === "object" || h.on === "retaking")

    // back to the pool once nobody holds a lock on it; unlock_all first in
    // case an unlock failed on a connection that is still alive
    const retire = (session: Session) => {
      if (current === session) current = undefined
      return (session.broken
        ? Effect.void
        : Effect.ignore(session.connection.execute("SELECT pg_advisory_unlock_all()", [], undefined))).pipe(
          Effect.zipRight(Scope.close(session.scope, Exit.void))
        )
    }

    // the session's connection is gone (or hangs): its locks are to be
    // taken again on a new one, and it goes back to the pool in the
    // background (a hung one may take long to answer its unlock_all)
    const abandon = (session: Session, broken: boolean) =>
      Effect.gen(function*() {
        session.broken = session.broken || broken
        if (current === session) current = undefined
        let orphans = 0
        for (const h of held.values()) {
          if (h.on === session) {
            h.on = "retaking"
            orphans++
          }
        }
        retiring.add(yield* Effect.forkDaemon(retire(session)))
        if (orphans > 0 && !outage) {
          outage = true
          yield* Effect.logWarning(
            `the connection holding ${orphans} tenant run lock(s) is gone; taking them again on a new connection`
          )
        }
      }).pipe(Effect.uninterruptible)

    // on a new session (or the current one, when an acquire opened it
    // meanwhile), every lock still to be taken again; first the abandoned
    // sessions must have let their locks go, or a lock still held by a hung
    // one would look taken by another process
    const retakeOnce = Effect.gen(function*() {
      for (const fiber of [...retiring]) {
        yield* Fiber.await(fiber)
        retiring.delete(fiber)
      }
      const fresh = current !== undefined && !current.broken ? undefined : yield* open
      yield* locked(Effect.gen(function*() {
        let session: Session
        if (current !== undefined && !current.broken) {
          session = current
          if (fresh !== undefined) yield* Scope.close(fresh.scope, Exit.void)
        } else {
          session = fresh ?? (yield* open)
          current = session
        }
        for (const [tenantId, h] of held) {
          if (h.on !== "retaking") continue
          const taken = yield* Effect.exit(flag(session, "pg_try_advisory_lock", tenantId))
          if (Exit.isFailure(taken)) {
            yield* abandon(session, true)
            return yield* Effect.failCause(taken.cause)
          }
          if (taken.value) {
            h.on = session
          } else {
            h.on = "lost"
            yield* Effect.logError(
              `the run lock of tenant "${tenantId}" is lost: its connection closed and another process took the lock`
            ).pipe(Effect.annotateLogs({ tenant: tenantId }))
            yield* Deferred.succeed(h.lost, undefined)
          }
        }
        if (holders(session) === 0) yield* retire(session)
        if (outage) yield* Effect.logInfo("the tenant run locks are held on a new connection again")
        outage = false
        // a keeper stopped meanwhile (its interruption is asynchronous)
        // finishes what it started under the mutex
      }).pipe(Effect.uninterruptible))
    })

    const retakeAll = retakeOnce.pipe(
      Effect.retry({
        schedule: Schedule.exponential("100 millis").pipe(Schedule.either(Schedule.spaced(defaults.maxBackoff))),
        while: () => retaking()
      }),
      Effect.ignore
    )

    // under the mutex: is there anything to keep, and is its connection alive?
    const check = Effect.gen(function*() {
      const self = yield* Effect.fiberId
      if (!needsKeeper()) {
        if (keeper !== undefined && Equal.equals(keeper.id(), self)) keeper = undefined
        return "stop" as const
      }
      const session = current
      if (session !== undefined && !session.broken && holders(session) > 0) {
        const alive = yield* session.connection.execute("SELECT 1", [], undefined).pipe(
          Effect.timeout(checkInterval),
          Effect.exit
        )
        // a statement that failed closed the connection; one that hangs
        // may still hold the locks, so it is asked to free them
        if (Exit.isFailure(alive)) {
          yield* abandon(session, !Option.exists(Cause.failureOption(alive.cause), Cause.isTimeoutException))
        }
      } else if (session !== undefined && session.broken) {
        yield* abandon(session, true)
      }
      return retaking() ? "retake" as const : "keep" as const
    })

    const keep: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        yield* Effect.sleep(checkInterval)
        const next = yield* locked(check)
        if (next === "stop") return
        if (next === "retake") yield* retakeAll
      }
    })

    const startKeeper = Effect.suspend(() =>
      keeper !== undefined ? Effect.void : Effect.map(Effect.forkDaemon(keep), (fiber) => {
        keeper = fiber
      })
    )
    const stopKeeper = Effect.suspend(() => {
      if (keeper === undefined || needsKeeper()) return Effect.void
      const fiber = keeper
      keeper = undefined
      return Fiber.interruptFork(fiber)
    })

    const acquire = (tenantId: Tenant.TenantId): Effect.Effect<Held | undefined, Store.StoreError> =>
      Effect.gen(function*() {
        if (held.has(tenantId)) return undefined
        const lost = yield* Deferred.make<void>()
        if (sharedSession) {
          const local: Held = { on: "local", lost }
          held.set(tenantId, local)
          return local
        }
        const session = current ?? (yield* open)
        current = session
        const taken = yield* Effect.exit(flag(session, "pg_try_advisory_lock", tenantId))
        if (Exit.isFailure(taken)) {
          yield* abandon(session, true)
          return yield* Effect.failCause(taken.cause)
        }
        if (!taken.value) {
          if (holders(session) === 0) yield* retire(session)
          return undefined
        }
        const lock: Held = { on: session, lost }
        held.set(tenantId, lock)
        yield* startKeeper
        return lock
      }).pipe(mapErrors("tryLockRun"))

    const release = (tenantId: Tenant.TenantId, lock: Held) =>
      Effect.gen(function*() {
        held.delete(tenantId)
        const session = lock.on
        // retaking or lost: its connection is gone, and the lock with it
        if (typeof session === "object") {
          const unlocked = yield* Effect.exit(flag(session, "pg_advisory_unlock", tenantId))
          if (Exit.isFailure(unlocked)) {
            yield* Effect.logWarning("could not release a tenant's run lock; it is freed when its connection closes")
            yield* abandon(session, true)
          } else if (holders(session) === 0) {
            yield* retire(session)
          }
        }
        yield* stopKeeper
      })

    return {
      tryLockRun: (tenantId) =>
        Effect.acquireRelease(
          locked(acquire(tenantId)),
          (lock) => lock === undefined ? Effect.void : locked(release(tenantId, lock))
        ).pipe(
          Effect.map((lock) => lock !== undefined),
          Effect.withSpan("StoreLive.tryLockRun", { attributes: { tenant: tenantId } })
        ),
      runLockLost: (tenantId) =>
        Effect.suspend(() => {
          const lock = held.get(tenantId)
          return lock === undefined ? Effect.never : Deferred.await(lock.lost)
        })
    }
  })
