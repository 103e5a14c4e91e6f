/**
 * The SQL checkpoint store: core's `Checkpoint` port in Postgres, per
 * tenant. Step outputs (their encoded, JSON-compatible form) are kept in
 * `step_checkpoints` per (run, target, step) and in `step_cache` per (step,
 * cache key), both under row-level security.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Checkpoint } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import { mapErrors } from "./internal/errors.js"
import * as Tenancy from "./Tenancy.js"

/**
 * Builds the SQL checkpoint store of one tenant.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  tenantId: Tenant.TenantId
): Effect.Effect<Checkpoint.Service, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    const scoped = <A, E, R>(operation: "load" | "save", effect: Effect.Effect<A, E, R>) =>
      tenancy.withTenant(tenantId, effect).pipe(
        mapErrors(`checkpoint.${operation}`),
        Effect.mapError((cause) => new Checkpoint.CheckpointError({ operation, cause })),
        Effect.withSpan(`CheckpointLive.${operation}`, { attributes: { tenant: tenantId } })
      )
    const first = (rows: ReadonlyArray<{ readonly value: unknown }>) => Option.map(Option.fromNullable(rows[0]), (r) => r.value)
    const json = (encoded: unknown) => JSON.stringify(encoded === undefined ? null : encoded)

    return {
      load: (key) =>
        scoped(
          "load",
          sql<{ value: unknown }>`SELECT value FROM step_checkpoints WHERE tenant_id = ${tenantId}
            AND run_id = ${key.runId} AND target_id = ${key.targetId} AND step = ${key.step}`
        ).pipe(Effect.map(first)),
      save: (key, encoded) =>
        scoped(
          "save",
          sql`INSERT INTO step_checkpoints (tenant_id, run_id, target_id, step, value)
            VALUES (${tenantId}, ${key.runId}, ${key.targetId}, ${key.step}, ${json(encoded)}::jsonb)
            ON CONFLICT (tenant_id, run_id, target_id, step)
            DO UPDATE SET value = excluded.value, saved_at = now()`
        ).pipe(Effect.asVoid),
      loadCached: (step, cacheKey) =>
        scoped(
          "load",
          sql<{ value: unknown }>`SELECT value FROM step_cache WHERE tenant_id = ${tenantId}
            AND step = ${step} AND cache_key = ${cacheKey}`
        ).pipe(Effect.map(first)),
      saveCached: (step, cacheKey, encoded) =>
        scoped(
          "save",
          sql`INSERT INTO step_cache (tenant_id, step, cache_key, value)
            VALUES (${tenantId}, ${step}, ${cacheKey}, ${json(encoded)}::jsonb)
            ON CONFLICT (tenant_id, step, cache_key) DO UPDATE SET value = excluded.value, saved_at = now()`
        ).pipe(Effect.asVoid)
    } satisfies Checkpoint.Service
  })

/**
 * The SQL checkpoint store of one tenant as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  tenantId: Tenant.TenantId
): Layer.Layer<Checkpoint.Checkpoint, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(Checkpoint.Checkpoint, make(tenantId))
