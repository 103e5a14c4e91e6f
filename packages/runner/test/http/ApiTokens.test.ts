/**
 * Tenant API tokens in Postgres (PGlite, and Postgres when `DATABASE_URL` is
 * set): stored only as hashes, resolved before the tenant is known (the
 * registry scope may read them and write nothing), isolated by row-level
 * security like every tenant table, revocable.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { ApiTokens, StoreLive, Tenancy } from "@leadgraph/adapters"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Layer, Option, Redacted } from "effect"
import { targets } from "./harness.js"

const A = Tenant.TenantId.make("tokens-a")
const B = Tenant.TenantId.make("tokens-b")

for (const target of targets("http_tokens")) {
  describe(`ApiTokens (${target.label})`, () => {
    const layer = ApiTokens.layer().pipe(Layer.provideMerge(StoreLive.layer()), Layer.provideMerge(target.database))
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("creates, resolves, isolates and revokes tokens; stores only hashes", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const tokens = yield* ApiTokens.ApiTokens
          const tenancy = yield* Tenancy.Tenancy
          const sql = yield* SqlClient.SqlClient
          yield* store.forTenant(A).tenants.save({ name: "A" })
          yield* store.forTenant(B).tenants.save({ name: "B" })
          const a = yield* tokens.create(A, "crm")
          const b = yield* tokens.create(B, "crm")
          expect(Redacted.value(a.token)).toMatch(/^lg_[A-Za-z0-9_-]{43}$/)
          expect(Redacted.value(a.token)).not.toBe(Redacted.value(b.token))
          expect(String(a.token)).not.toContain(Redacted.value(a.token))
          expect(yield* tokens.resolve(a.token)).toEqual(Option.some(A))
          expect(yield* tokens.resolve(b.token)).toEqual(Option.some(B))
          expect(yield* tokens.resolve(Redacted.make("lg_" + "A".repeat(43)))).toEqual(Option.none())
          expect(yield* tokens.resolve(Redacted.make("' OR 1=1 --"))).toEqual(Option.none())
          expect(yield* tokens.resolve(Redacted.make(""))).toEqual(Option.none())

          // only the hash is stored
          const stored = yield* tenancy.withTenant(A, sql<{ token_hash: string }>`SELECT token_hash FROM api_tokens`)
          expect(stored).toEqual([{ token_hash: ApiTokens.hash(a.token) }])
          // each tenant sees its own tokens only
          const seenByB = yield* tenancy.withTenant(B, sql<{ tenant_id: string }>`SELECT tenant_id FROM api_tokens`)
          expect(seenByB).toEqual([{ tenant_id: B }])
          // a tenant cannot write a token for another tenant
          const crossWrite = yield* Effect.flip(tenancy.withTenant(
            B,
            sql`INSERT INTO api_tokens (token_hash, tenant_id, name, created_at)
              VALUES (${"0".repeat(64)}, ${A}, 'forged', now())`
          ))
          expect(crossWrite._tag).toBe("StoreError")
          // the registry scope sees no token row: a token resolves only through the owner's function
          const registry = yield* tenancy.registry(sql<{ n: number }>`SELECT count(*)::int AS n FROM api_tokens`)
          expect(registry[0]!.n).toBe(0)
          const resolved = yield* tenancy.registry(
            sql<{ t: string | null }>`SELECT leadgraph_resolve_token(${ApiTokens.hash(a.token)}) AS t`
          )
          expect(resolved).toEqual([{ t: A }])
          // (row-level security gives DELETE no row to see there)
          const deleted = yield* tenancy.registry(sql`DELETE FROM api_tokens RETURNING 1`)
          expect(deleted).toHaveLength(0)
          expect(yield* tokens.resolve(a.token)).toEqual(Option.some(A))

          // revoking: only by the token's tenant, and then it no longer resolves
          expect(yield* tokens.revoke(B, a.token)).toBe(false)
          expect(yield* tokens.revoke(A, a.token)).toBe(true)
          expect(yield* tokens.resolve(a.token)).toEqual(Option.none())
          expect(yield* tokens.revoke(A, a.token)).toBe(false)
          // a token for a tenant that does not exist is refused
          const missing = yield* Effect.flip(tokens.create(Tenant.TenantId.make("nobody"), "x"))
          expect(missing.reason).toBe("Constraint")
        }))
    })
  })
}
