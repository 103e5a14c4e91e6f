/**
 * The SQL paid results store: core's `PaidResults` port in Postgres, per
 * tenant (`paid_results`, under row-level security), shared by every
 * process and run of the tenant. Entries carry their expiry, computed from
 * the `Clock` when stored, and are read back only before it, so `TestClock`
 * drives expiry as it does for the memory store. The first write of each
 * service removes the tenant's expired entries.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { PaidResults } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Array as Arr, Clock, Duration, Effect, Layer, Ref } from "effect"
import { mapErrors } from "./internal/errors.js"
import * as Tenancy from "./Tenancy.js"

/**
 * Options: the tenant whose entries the service reads and writes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tenantId: Tenant.TenantId
}

/**
 * Builds the SQL paid results store of one tenant.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<PaidResults.Service, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    const { tenantId } = options
    const pruned = yield* Ref.make(false)
    const scoped = <A, E, R>(operation: "get" | "put", effect: Effect.Effect<A, E, R>) =>
      tenancy.withTenant(tenantId, effect).pipe(
        mapErrors(`paidResults.${operation}`),
        Effect.mapError((cause) => new PaidResults.PaidResultsError({ reason: "Unavailable", operation, cause })),
        Effect.withSpan(`PaidResultsLive.${operation}`, { attributes: { tenant: tenantId } })
      )

    const getMany = (kind: string, keys: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const wanted = Arr.dedupe(keys)
        if (wanted.length === 0) return new Map<string, unknown>()
        const now = new Date(yield* Clock.currentTimeMillis)
        const rows = yield* scoped(
          "get",
          sql<{ key: string; value: unknown }>`SELECT key, value FROM paid_results
            WHERE tenant_id = ${tenantId} AND kind = ${kind} AND key = ANY(${wanted}::text[]) AND expires_at > ${now}`
        )
        return new Map(rows.map((row) => [row.key, row.value] as const)) as ReadonlyMap<string, unknown>
      })

    const putMany = (kind: string, entries: ReadonlyArray<PaidResults.Entry>, ttl: Duration.DurationInput) =>
      Effect.gen(function*() {
        if (entries.length === 0) return
        const nowMillis = yield* Clock.currentTimeMillis
        const storedAt = new Date(nowMillis)
        const expiresAt = new Date(nowMillis + Duration.toMillis(Duration.decode(ttl)))
        const byKey = new Map(entries)
        const prune = yield* Ref.getAndSet(pruned, true)
        yield* scoped(
          "put",
          Effect.zipRight(
            prune ? Effect.void : sql`DELETE FROM paid_results WHERE tenant_id = ${tenantId} AND expires_at <= ${storedAt}`,
            Effect.forEach(Arr.chunksOf(Array.from(byKey), 500), (chunk) =>
              sql`INSERT INTO paid_results ${
                sql.insert(chunk.map(([key, encoded]) => ({
                  tenant_id: tenantId,
                  kind,
                  key,
                  value: JSON.stringify(encoded === undefined ? null : encoded),
                  stored_at: storedAt,
                  expires_at: expiresAt
                })))
              }
                ON CONFLICT (tenant_id, kind, key) DO UPDATE
                SET value = excluded.value, stored_at = excluded.stored_at, expires_at = excluded.expires_at`, { discard: true })
          )
        ).pipe(Effect.tapError(() => prune ? Effect.void : Ref.set(pruned, false)))
      })

    return { getMany, putMany } satisfies PaidResults.Service
  })

/**
 * The SQL paid results store of one tenant as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<PaidResults.PaidResults, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(PaidResults.PaidResults, make(options))
