/**
 * Tenancy: the one way tenant work reaches Postgres.
 *
 * Roles. The store connects as the runtime role (`DATABASE_URL` names it;
 * default `leadgraph_app`, or a login role that inherits it): it owns
 * nothing, is a member of no role that owns anything, is no superuser and
 * has no BYPASSRLS, so it is itself the role row-level security applies to,
 * and there is no role switch to undo (`RESET ROLE` stays where it is,
 * `SET ROLE` to the owner is refused). The owner, a different role, runs
 * the migrations and owns the tables, which have row-level security enabled
 * and forced.
 *
 * Tenant work runs in one transaction that first calls
 * `leadgraph_bind_tenant(tenant)`: a SECURITY DEFINER function of the owner
 * that records the tenant for this transaction where the runtime role cannot
 * write, and sets `app.tenant_id`. The policies compare each row with the
 * bound tenant, and only while `app.tenant_id` still names it: a
 * `set_config('app.tenant_id', other, true)` later in the transaction makes
 * every row invisible (and every write fail), and binding another tenant in
 * the same transaction is refused. A transaction that binds nothing sees no
 * row. The cross-tenant reads of the registry (listing active tenants,
 * resolving an API token's hash) are two more SECURITY DEFINER functions,
 * `leadgraph_active_tenants()` and `leadgraph_resolve_token(hash)`; no
 * setting opens a policy across tenants.
 *
 * What this does not cover: a transaction may bind any tenant when it
 * starts (the runtime role serves them all), so code that can end the
 * current transaction and start one (a multi-statement string on the simple
 * query protocol) can bind another tenant. On the embedded PGlite, whose
 * session starts as its bootstrap superuser, `SET SESSION AUTHORIZATION`
 * back to that superuser (or `set_config('session_authorization', ...)`)
 * is allowed and bypasses everything; see `Database.layerEmbedded`.
 *
 * Building the layer applies pending migrations when the connected role may
 * (otherwise it fails and says how to migrate), then checks that tenant
 * work cannot bypass row-level security: the connected role and every role
 * it is a member of is no superuser, has no BYPASSRLS, owns no relation of
 * the schema, the schema or the database; it may not create temporary
 * tables (one named like a store table would shadow it for later
 * transactions on the pooled connection); it has the application role's
 * privileges; every table with a `tenant_id` has RLS enabled and forced;
 * and every permissive policy that applies to it compares with the bound
 * tenant. Otherwise the layer fails with a `StoreError` of reason `Unsafe`
 * (or `Forbidden` for missing privileges) and no tenant work runs.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Store } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Context, Effect, FiberRef, Layer, Option, Queue, Stream, Take } from "effect"
import { fromSqlError, isSqlError, mapErrors } from "./internal/errors.js"
import * as Migrations from "./Migrations.js"

/**
 * The tenancy service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The application role: the connected role is it, or inherits its privileges. */
  readonly appRole: string
  /**
   * Whether every connection shares one database session, as with PGlite
   * behind `pglite-socket`: a transaction left open there holds up every
   * other connection until it ends.
   */
  readonly sharedSession: boolean
  /** Whether the current fiber already runs in a tenant's (or the registry's) transaction. */
  readonly inTransaction: Effect.Effect<boolean>
  /**
   * Runs `effect` in one transaction bound to the tenant. Nested calls for
   * the same tenant join the transaction; a nested call for another tenant
   * fails with `Forbidden`.
   */
  readonly withTenant: <A, E, R>(
    tenantId: Tenant.TenantId,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | Store.StoreError, R>
  /**
   * Runs `stream` in one transaction bound to the tenant, held open from
   * the first pull until the stream ends or is interrupted, so a statement
   * streamed through a cursor reads under row-level security throughout. The stream is produced by a fiber of its
   * own and handed over through a small bounded queue (back-pressure: the
   * producer never runs more than two chunks ahead). Inside a transaction of
   * the same tenant it joins that transaction instead: the caller must then
   * not run other statements until the stream ends, as the cursor holds the
   * connection.
   */
  readonly withTenantStream: <A, E, R>(
    tenantId: Tenant.TenantId,
    stream: Stream.Stream<A, E, R>
  ) => Stream.Stream<A, E | Store.StoreError, R>
  /**
   * Runs `effect` in the registry scope: a transaction bound to no tenant,
   * so row-level security shows it no row. Its cross-tenant reads go
   * through the registry functions (`leadgraph_active_tenants()`,
   * `leadgraph_resolve_token(hash)`), which read nothing else.
   */
  readonly registry: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | Store.StoreError, R>
}

/**
 * The tenancy tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Tenancy extends Context.Tag("@leadgraph/adapters/Tenancy")<Tenancy, Service>() {}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The application role whose privileges tenant work uses. Default `leadgraph_app`. */
  readonly appRole?: string | undefined
  /**
   * Apply pending migrations first (default `true`): a read-only no-op when
   * none is pending, as for the runtime role; see `Migrations.run`.
   */
  readonly migrate?: boolean | undefined
}

interface SafetyRow {
  readonly role: string
  readonly schema: string
  readonly superusers: string | null
  readonly bypass: string | null
  readonly owned: number
  readonly ownsSchema: boolean
  readonly ownsDatabase: boolean
  readonly temporary: boolean
  readonly granted: boolean | null
  readonly bound: boolean
  readonly unprotected: number
  readonly unbound: number
}

const migrateHint = "DATABASE_URL must name the runtime role (e.g. leadgraph_app), and migrations run as the " +
  "owner (MIGRATION_DATABASE_URL, or `leadgraph migrate --database-url`)"

/** The first thing that makes tenant work on this connection unsafe, if any. */
const problemOf = (row: SafetyRow, appRole: string): readonly [Store.StoreError["reason"], string] | undefined => {
  const as = `connected as ${row.role}, which`
  const problems: ReadonlyArray<readonly [boolean, Store.StoreError["reason"], string]> = [
    [row.superusers !== null, "Unsafe", `${as} is or may become a superuser (${row.superusers}); ${migrateHint}`],
    [row.bypass !== null, "Unsafe", `${as} has or may take BYPASSRLS (${row.bypass})`],
    [
      row.owned > 0,
      "Unsafe",
      `${as} owns (or is a member of the owner of) ${row.owned} relation(s) of schema ${row.schema}, ` +
      `and owners bypass row-level security; ${migrateHint}`
    ],
    [row.ownsSchema, "Unsafe", `${as} owns schema ${row.schema}; ${migrateHint}`],
    [row.ownsDatabase, "Unsafe", `${as} owns the database; ${migrateHint}`],
    [
      row.temporary,
      "Unsafe",
      `${as} may create temporary tables, which would shadow the store's tables: as the database owner, ` +
      `REVOKE TEMPORARY ON DATABASE <db> FROM PUBLIC, ${row.role}`
    ],
    [row.granted === null, "Forbidden", `the application role ${appRole} does not exist: run the migrations`],
    [
      row.granted === false,
      "Forbidden",
      `role ${row.role} lacks the privileges of ${appRole}: GRANT ${appRole} TO ${row.role}, or connect as ${appRole}`
    ],
    [!row.bound, "Forbidden", "the tenant binding functions are missing or not executable: run the migrations"],
    [row.unprotected > 0, "Unsafe", `${row.unprotected} table(s) with a tenant_id lack forced row-level security`],
    [
      row.unbound > 0,
      "Unsafe",
      `${row.unbound} policy(ies) that apply to ${row.role} do not compare with the bound tenant ` +
      `(leadgraph_current_tenant())`
    ]
  ]
  const found = problems.find(([when]) => when)
  return found === undefined ? undefined : [found[1], found[2]]
}

/**
 * Checks that tenant work on this connection is subject to row-level
 * security (see the module comment); fails with reason `Unsafe`, or
 * `Forbidden` when the connected role lacks `appRole`'s privileges.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkSafety = (appRole: string): Effect.Effect<void, Store.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<SafetyRow>`
      WITH reach AS (SELECT r.oid, r.rolname, r.rolsuper, r.rolbypassrls FROM pg_roles r
          WHERE pg_has_role(current_user, r.oid, 'MEMBER')),
        here AS (SELECT current_schema()::regnamespace AS ns)
      SELECT current_user AS role, current_schema() AS schema,
        (SELECT string_agg(rolname, ', ') FROM reach WHERE rolsuper) AS superusers,
        (SELECT string_agg(rolname, ', ') FROM reach WHERE rolbypassrls) AS bypass,
        (SELECT count(*) FROM pg_class c, here
          WHERE c.relnamespace = here.ns AND c.relowner IN (SELECT oid FROM reach))::int AS owned,
        (SELECT n.nspowner IN (SELECT oid FROM reach) FROM pg_namespace n, here WHERE n.oid = here.ns) AS "ownsSchema",
        (SELECT d.datdba IN (SELECT oid FROM reach) FROM pg_database d
          WHERE d.datname = current_database()) AS "ownsDatabase",
        has_database_privilege(current_database(), 'TEMPORARY') AS temporary,
        pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = ${appRole}), 'USAGE') AS granted,
        coalesce(has_function_privilege(to_regprocedure('leadgraph_bind_tenant(text)'), 'EXECUTE')
          AND has_function_privilege(to_regprocedure('leadgraph_current_tenant()'), 'EXECUTE'), false) AS bound,
        (SELECT count(*) FROM pg_class c, here
          WHERE c.relnamespace = here.ns AND c.relkind IN ('r', 'p')
            AND (c.relname = 'tenants' OR EXISTS (SELECT 1 FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
            AND NOT (c.relrowsecurity AND c.relforcerowsecurity))::int AS unprotected,
        (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid, here
          WHERE c.relnamespace = here.ns AND p.polpermissive
            AND (0 = ANY (p.polroles) OR EXISTS (SELECT 1 FROM reach WHERE reach.oid = ANY (p.polroles)))
            AND ((p.polqual IS NOT NULL
                AND pg_get_expr(p.polqual, p.polrelid) NOT LIKE '%leadgraph_current_tenant()%')
              OR (p.polwithcheck IS NOT NULL
                AND pg_get_expr(p.polwithcheck, p.polrelid) NOT LIKE '%leadgraph_current_tenant()%')))::int AS unbound`
    const row = rows[0]
    const problem = row === undefined ? ["Unsafe", "no answer"] as const : problemOf(row, appRole)
    if (problem !== undefined) {
      return yield* new Store.StoreError({ reason: problem[0], operation: "start", detail: problem[1] })
    }
  }).pipe(
    Effect.catchIf(isSqlError, (e) =>
      Effect.fail(
        new Store.StoreError({
          reason: "Unsafe",
          operation: "start",
          detail: `cannot check row-level security: ${fromSqlError("start", e).detail ?? ""}`,
          cause: e
        })
      )),
    Effect.withSpan("Tenancy.checkSafety")
  )

/**
 * Builds the tenancy service: migrations (unless `migrate: false`), then the
 * safety check.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Service, Store.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const appRole = options?.appRole ?? Migrations.defaultAppRole
    if (options?.migrate !== false) yield* Migrations.run({ appRole })
    yield* checkSafety(appRole)
    const sql = yield* SqlClient.SqlClient
    const sharedSession = yield* sql<{ pglite: boolean }>`SELECT version() LIKE '%PGlite%' AS pglite`.pipe(
      Effect.map((rows) => rows[0]?.pglite === true)
    )
    // the scope this fiber's transaction is bound to: a tenant, or the registry
    const current = FiberRef.unsafeMake<Option.Option<{ readonly tenant: Tenant.TenantId | undefined }>>(Option.none())
    const nested = (detail: string) =>
      Effect.fail(new Store.StoreError({ reason: "Forbidden", operation: "withTenant", detail }))

    const begin = (tenantId: Tenant.TenantId) => sql`SELECT leadgraph_bind_tenant(${tenantId})`

    const withTenant = <A, E, R>(tenantId: Tenant.TenantId, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(current), (scope): Effect.Effect<A, E | Store.StoreError, R> => {
        if (Option.isSome(scope)) {
          return scope.value.tenant === tenantId ? effect : nested("nested scope of another tenant or of the registry")
        }
        return sql.withTransaction(
          begin(tenantId).pipe(Effect.zipRight(Effect.locally(effect, current, Option.some({ tenant: tenantId }))))
        ).pipe(Effect.mapError((e) => isSqlError(e) ? fromSqlError("transaction", e) : e))
      })

    const withTenantStream = <A, E, R>(tenantId: Tenant.TenantId, stream: Stream.Stream<A, E, R>) =>
      Stream.unwrapScoped(
        Effect.flatMap(FiberRef.get(current), (scope) => {
          if (Option.isSome(scope)) {
            return scope.value.tenant === tenantId
              ? Effect.succeed<Stream.Stream<A, E | Store.StoreError, R>>(stream)
              : nested("nested scope of another tenant or of the registry")
          }
          return Effect.gen(function*() {
            const queue = yield* Effect.acquireRelease(
              Queue.bounded<Take.Take<A, E | Store.StoreError>>(2),
              Queue.shutdown
            )
            // the transaction lives in this fiber, interrupted (and so rolled
            // back) when the consumer stops early
            yield* withTenant(tenantId, Stream.runIntoQueue(stream, queue)).pipe(
              Effect.catchAllCause((cause) => Queue.offer(queue, Take.failCause(cause))),
              Effect.forkScoped
            )
            return Stream.flattenTake(Stream.fromQueue(queue))
          })
        })
      )

    // a binding lasts the transaction, so the registry scope never nests in
    // a tenant's transaction (nor a tenant's in the registry's)
    const registry = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(current), (scope): Effect.Effect<A, E | Store.StoreError, R> =>
        Option.isSome(scope) ? nested("the registry scope inside a tenant scope") : sql.withTransaction(
          Effect.locally(effect, current, Option.some({ tenant: undefined }))
        ).pipe(Effect.mapError((e) => isSqlError(e) ? fromSqlError("registry", e) : e)))

    const inTransaction = Effect.map(FiberRef.get(current), Option.isSome)

    return { appRole, sharedSession, inTransaction, withTenant, withTenantStream, registry } satisfies Service
  }).pipe(mapErrors("start"))

/**
 * The tenancy layer over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Tenancy, Store.StoreError, SqlClient.SqlClient> =>
  Layer.effect(Tenancy, make(options))
