/**
 * Tenant API tokens: created once (the text is returned that one time and
 * never stored), kept as the SHA-256 of the text, and resolved to the
 * tenant they speak for. A token is `lg_` plus 43 base64url characters (256
 * random bits), so a fast hash cannot be reversed by guessing.
 *
 * In Postgres, creating and revoking run in the tenant's transaction (under
 * row-level security); resolving runs before any tenant is known, through
 * `leadgraph_resolve_token(hash)`, a SECURITY DEFINER function of the owner
 * that returns the tenant of a live token with that hash and reads nothing
 * else (the runtime role itself can read no other tenant's token).
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Store, Tenant } from "@leadgraph/core"
import { Clock, Context, Effect, Layer, Option, Redacted, Ref, Schema } from "effect"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { mapErrors } from "./internal/errors.js"
import * as Tenancy from "./Tenancy.js"

/**
 * A token just created: its text (shown once), its tenant and its name.
 *
 * @since 0.1.0
 * @category models
 */
export interface Created {
  readonly token: Redacted.Redacted<string>
  readonly tenantId: Tenant.TenantId
  readonly name: string
}

/**
 * The tokens service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Creates a token for the tenant; fails with `Constraint` when the tenant does not exist. */
  readonly create: (tenantId: Tenant.TenantId, name: string) => Effect.Effect<Created, Store.StoreError>
  /** The tenant of a live (not revoked) token, if any. */
  readonly resolve: (token: Redacted.Redacted<string>) => Effect.Effect<Option.Option<Tenant.TenantId>, Store.StoreError>
  /** Revokes the tenant's token; `true` when it was live. */
  readonly revoke: (tenantId: Tenant.TenantId, token: Redacted.Redacted<string>) => Effect.Effect<boolean, Store.StoreError>
}

/**
 * The tokens tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class ApiTokens extends Context.Tag("@leadgraph/adapters/ApiTokens")<ApiTokens, Service>() {}

/**
 * The prefix of every token.
 *
 * @since 0.1.0
 * @category constants
 */
export const prefix = "lg_"

/**
 * The stored form of a token: hex SHA-256 of its text.
 *
 * @since 0.1.0
 * @category hashing
 */
export const hash = (token: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(token), "utf8").digest("hex")

/**
 * Whether `given` is the `expected` secret (an admin token, say), compared
 * in constant time over their hashes, so the time taken tells nothing of
 * how much matched. An empty token never matches.
 *
 * @since 0.1.0
 * @category hashing
 */
export const matches = (expected: Redacted.Redacted<string>, given: Redacted.Redacted<string>): boolean =>
  Redacted.value(given) !== "" && timingSafeEqual(Buffer.from(hash(given), "hex"), Buffer.from(hash(expected), "hex"))

/** A new token's text (the one place randomness comes from outside `Random`: it must be unguessable). */
const generate = Effect.sync(() => Redacted.make(`${prefix}${randomBytes(32).toString("base64url")}`))

/** Anything that is not shaped like a token is never looked up. */
const wellFormed = (token: Redacted.Redacted<string>): boolean =>
  /^lg_[A-Za-z0-9_-]{43}$/.test(Redacted.value(token))

const invalidName = (name: string) =>
  name.trim() === "" || name.length > 100
    ? Option.some(new Store.StoreError({ reason: "Invalid", operation: "apiTokens.create", detail: "bad token name" }))
    : Option.none()

const decodeTenant = Schema.decodeUnknownOption(Tenant.TenantId)

/**
 * Builds the Postgres tokens service over the tenancy and `SqlClient` in
 * context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, Tenancy.Tenancy | SqlClient.SqlClient> = Effect.gen(function*() {
  const tenancy = yield* Tenancy.Tenancy
  const sql = yield* SqlClient.SqlClient
  return {
    // @effect-diagnostics-next-line effectFnOpportunity:off -- kept as a plain function returning an Effect, like its neighbours
    create: (tenantId, name) =>
      Effect.gen(function*() {
        const bad = invalidName(name)
        if (Option.isSome(bad)) return yield* bad.value
        const token = yield* generate
        const now = new Date(yield* Clock.currentTimeMillis)
        yield* tenancy.withTenant(
          tenantId,
          sql`INSERT INTO api_tokens (token_hash, tenant_id, name, created_at)
            VALUES (${hash(token)}, ${tenantId}, ${name.trim()}, ${now})`
        )
        return { token, tenantId, name: name.trim() }
      }).pipe(mapErrors("apiTokens.create"), Effect.withSpan("ApiTokens.create")),
    resolve: (token) =>
      (wellFormed(token)
        ? tenancy.registry(
          sql<{ tenant_id: string | null }>`SELECT leadgraph_resolve_token(${hash(token)}) AS tenant_id`
        ).pipe(Effect.map((rows) => Option.flatMap(Option.fromNullable(rows[0]?.tenant_id), decodeTenant)))
        : Effect.succeedNone).pipe(mapErrors("apiTokens.resolve"), Effect.withSpan("ApiTokens.resolve")),
    revoke: (tenantId, token) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        tenancy.withTenant(
          tenantId,
          sql<{ n: number }>`WITH r AS (
            UPDATE api_tokens SET revoked_at = ${new Date(now)}
            WHERE token_hash = ${hash(token)} AND tenant_id = ${tenantId} AND revoked_at IS NULL RETURNING 1
          ) SELECT count(*)::int AS n FROM r`
        )).pipe(
          Effect.map((rows) => (rows[0]?.n ?? 0) > 0),
          mapErrors("apiTokens.revoke"),
          Effect.withSpan("ApiTokens.revoke")
        )
  } satisfies Service
})

/**
 * The Postgres tokens service over a {@link Tenancy.Tenancy} (for example
 * from `StoreLive.layer`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (): Layer.Layer<ApiTokens, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(ApiTokens, make)

/**
 * Tokens in memory (any tenant id is accepted), for tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (): Layer.Layer<ApiTokens> =>
  Layer.effect(
    ApiTokens,
    Effect.map(Ref.make(new Map<string, { readonly tenantId: Tenant.TenantId; readonly live: boolean }>()), (ref) => ({
      create: (tenantId, name) =>
        Effect.gen(function*() {
          const bad = invalidName(name)
          if (Option.isSome(bad)) return yield* bad.value
          const token = yield* generate
          yield* Ref.update(ref, (m) => new Map(m).set(hash(token), { tenantId, live: true }))
          return { token, tenantId, name: name.trim() }
        }),
      resolve: (token) =>
        Effect.map(Ref.get(ref), (m) =>
          Option.filter(Option.fromNullable(m.get(hash(token))), (t) => t.live).pipe(Option.map((t) => t.tenantId))),
      revoke: (tenantId, token) =>
        Ref.modify(ref, (m) => {
          const t = m.get(hash(token))
          if (t === undefined || !t.live || t.tenantId !== tenantId) return [false, m]
          return [true, new Map(m).set(hash(token), { tenantId, live: false })]
        })
    } satisfies Service))
  )
