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
 * @internal
 */
import type { SqlClient, SqlConnection } from "@effect/sql"
import type { Store, Tenant } from "@leadgraph/core"
import { Effect, Exit, Scope } from "effect"
import { mapErrors } from "./errors.js"

/** The reserved connection the locks of this store are held on. */
interface Session {
  readonly connection: SqlConnection.Connection
  readonly scope: Scope.CloseableScope
  holders: number
  broken: boolean
}

const key = "hashtextextended(concat_ws(':', 'leadgraph.run', current_schema(), $1::text), 0)"

/**
 * Builds `tryLockRun` for a store over `sql`.
 *
 * @internal
 */
export const make = (
  sql: SqlClient.SqlClient,
  sharedSession: boolean
): Effect.Effect<Store.Service["tryLockRun"]> =>
  Effect.map(Effect.makeSemaphore(1), (mutex) => {
    const held = new Set<Tenant.TenantId>()
    let current: Session | undefined

    const open = Effect.gen(function*() {
      const scope = yield* Scope.make()
      const connection = yield* Scope.extend(sql.reserve, scope).pipe(
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
      )
      return { connection, scope, holders: 0, broken: false } satisfies Session
    })

    const flag = (session: Session, statement: string, tenantId: Tenant.TenantId) =>
      Effect.map(
        session.connection.execute(`SELECT ${statement}(${key}) AS ok`, [tenantId], undefined),
        (rows) => (rows[0] as { readonly ok?: unknown } | undefined)?.ok === true
      )

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

    const acquire = (tenantId: Tenant.TenantId): Effect.Effect<Session | "local" | undefined, Store.StoreError> =>
      Effect.gen(function*() {
        if (held.has(tenantId)) return undefined
        if (sharedSession) {
          held.add(tenantId)
          return "local" as const
        }
        const session = current ?? (yield* open)
        current = session
        const taken = yield* Effect.exit(flag(session, "pg_try_advisory_lock", tenantId))
        if (Exit.isFailure(taken)) session.broken = true
        if (Exit.isFailure(taken) || !taken.value) {
          if (session.broken && current === session) current = undefined
          if (session.holders === 0) yield* retire(session)
          return yield* Effect.map(taken, () => undefined)
        }
        session.holders++
        held.add(tenantId)
        return session
      }).pipe(mapErrors("tryLockRun"))

    const release = (tenantId: Tenant.TenantId, session: Session | "local") =>
      Effect.gen(function*() {
        held.delete(tenantId)
        if (session === "local") return
        const unlocked = yield* Effect.exit(flag(session, "pg_advisory_unlock", tenantId))
        if (Exit.isFailure(unlocked)) {
          session.broken = true
          if (current === session) current = undefined
          yield* Effect.logWarning("could not release a tenant's run lock; it is freed when its connection closes")
        }
        session.holders--
        if (session.holders === 0) yield* retire(session)
      })

    return (tenantId) =>
      Effect.acquireRelease(
        mutex.withPermits(1)(acquire(tenantId)),
        (session) => session === undefined ? Effect.void : mutex.withPermits(1)(release(tenantId, session))
      ).pipe(
        Effect.map((session) => session !== undefined),
        Effect.withSpan("StoreLive.tryLockRun", { attributes: { tenant: tenantId } })
      )
  })
