/**
 * The SQL email verification cache: core's `VerificationCache` port in
 * Postgres, per tenant (`email_verification_cache`, under row-level
 * security). Entries are stamped with the `Clock`'s time when stored and
 * read back only while younger than the TTL, so `TestClock` drives expiry
 * as it does for the memory cache.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { VerificationCache, ZeroBounce } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Array as Arr, Clock, Duration, Effect, Layer, Schema } from "effect"
import { mapErrors } from "./internal/errors.js"
import * as Tenancy from "./Tenancy.js"

/**
 * Options: the tenant and the TTL (default {@link VerificationCache.defaults}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tenantId: Tenant.TenantId
  readonly ttl?: Duration.DurationInput | undefined
}

const decodeVerdict = Schema.decodeUnknown(ZeroBounce.Verdict)
const encodeVerdict = Schema.encode(ZeroBounce.Verdict)

/**
 * Builds the SQL verification cache of one tenant.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<VerificationCache.Service, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    const { tenantId } = options
    const ttl = Duration.toMillis(Duration.decode(options.ttl ?? VerificationCache.defaults.ttl))
    const scoped = <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) =>
      tenancy.withTenant(tenantId, effect).pipe(
        mapErrors(operation),
        Effect.mapError((cause) => new VerificationCache.VerificationCacheError({ reason: "Unavailable", cause })),
        Effect.withSpan(`VerificationCacheLive.${operation}`, { attributes: { tenant: tenantId } })
      )

    const getMany = (emails: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const keys = Arr.dedupe(emails.map(ZeroBounce.normalizeEmail))
        if (keys.length === 0) return new Map<string, ZeroBounce.Verdict>()
        const now = yield* Clock.currentTimeMillis
        const rows = yield* scoped(
          "getMany",
          sql<{ email: string; verdict: unknown }>`SELECT email, verdict FROM email_verification_cache
            WHERE tenant_id = ${tenantId} AND email = ANY(${keys}::text[]) AND stored_at > ${new Date(now - ttl)}`
            .pipe(Effect.flatMap(Effect.forEach((row) => Effect.map(decodeVerdict(row.verdict), (v) => [row.email, v] as const))))
        )
        return new Map(rows) as ReadonlyMap<string, ZeroBounce.Verdict>
      })

    const putMany = (verdicts: ReadonlyArray<ZeroBounce.Verdict>) =>
      Effect.gen(function*() {
        if (verdicts.length === 0) return
        const storedAt = new Date(yield* Clock.currentTimeMillis)
        const byKey = new Map(verdicts.map((v) => [ZeroBounce.normalizeEmail(v.email), v] as const))
        yield* scoped(
          "putMany",
          Effect.forEach(Arr.chunksOf(Array.from(byKey), 1000), (chunk) =>
            Effect.forEach(chunk, ([email, verdict]) =>
              Effect.map(encodeVerdict(verdict), (encoded) => ({
                tenant_id: tenantId,
                email,
                verdict: JSON.stringify(encoded),
                stored_at: storedAt
              }))).pipe(
                Effect.flatMap((rows) =>
                  sql`INSERT INTO email_verification_cache ${sql.insert(rows)}
                    ON CONFLICT (tenant_id, email) DO UPDATE
                    SET verdict = excluded.verdict, stored_at = excluded.stored_at`
                )
              ), { discard: true })
        )
      })

    return { getMany, putMany } satisfies VerificationCache.Service
  })

/**
 * The SQL verification cache of one tenant as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<VerificationCache.VerificationCache, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(VerificationCache.VerificationCache, make(options))
