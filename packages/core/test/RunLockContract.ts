/**
 * The contract of the store's tenant run lock (`Store.tryLockRun`), run
 * against every implementation (memory here; PGlite and Postgres in the
 * adapters' tests): taken once, refused to a second holder, released when
 * the holder's scope closes (however it closes), and per tenant.
 */
import { describe, expect, it } from "@effect/vitest"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Exit, Layer, Scope } from "effect"

/**
 * Registers the run lock tests for one implementation.
 */
export const suite = <E>(label: string, layer: Layer.Layer<Store.Store, E>) =>
  describe(`Store run lock contract (${label})`, () => {
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("one holder at a time per tenant, released when its scope closes", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const a = Tenant.TenantId.make("lock-a")
          const b = Tenant.TenantId.make("lock-b")
          const first = yield* Scope.make()
          expect(yield* Scope.extend(store.tryLockRun(a), first)).toBe(true)
          // a second holder, and the first one again (not reentrant)
          expect(yield* Effect.scoped(store.tryLockRun(a))).toBe(false)
          expect(yield* Scope.extend(store.tryLockRun(a), first)).toBe(false)
          // another tenant's lock is its own
          expect(yield* Effect.scoped(store.tryLockRun(b))).toBe(true)
          // a refused try releases nothing: the lock is still held
          expect(yield* Effect.scoped(store.tryLockRun(a))).toBe(false)
          yield* Scope.close(first, Exit.void)
          const second = yield* Scope.make()
          expect(yield* Scope.extend(store.tryLockRun(a), second)).toBe(true)
          expect(yield* Effect.scoped(store.tryLockRun(a))).toBe(false)
          yield* Scope.close(second, Exit.void)
          expect(yield* Effect.scoped(store.tryLockRun(a))).toBe(true)
        }))

      it.effect("a holder that fails or is interrupted releases the lock", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const c = Tenant.TenantId.make("lock-c")
          const failed = yield* Effect.scoped(
            Effect.zipRight(store.tryLockRun(c), Effect.fail("boom" as const))
          ).pipe(Effect.exit)
          expect(Exit.isFailure(failed)).toBe(true)
          expect(yield* Effect.scoped(store.tryLockRun(c))).toBe(true)
          const interrupted = yield* Effect.scoped(Effect.zipRight(store.tryLockRun(c), Effect.interrupt)).pipe(Effect.exit)
          expect(Exit.isInterrupted(interrupted)).toBe(true)
          expect(yield* Effect.scoped(store.tryLockRun(c))).toBe(true)
        }))

      it.effect("holders of many tenants at once, in any order of release", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const ids = Array.from({ length: 5 }, (_, i) => Tenant.TenantId.make(`lock-many-${i}`))
          const scopes = yield* Effect.forEach(ids, () => Scope.make())
          const taken = yield* Effect.forEach(ids, (id, i) => Scope.extend(store.tryLockRun(id), scopes[i]!))
          expect(taken).toEqual(ids.map(() => true))
          for (const i of [2, 0, 4]) yield* Scope.close(scopes[i]!, Exit.void)
          const again = yield* Effect.forEach(ids, (id) => Effect.scoped(store.tryLockRun(id)))
          expect(again).toEqual([true, false, true, false, true])
          for (const i of [1, 3]) yield* Scope.close(scopes[i]!, Exit.void)
          expect(yield* Effect.forEach(ids, (id) => Effect.scoped(store.tryLockRun(id)))).toEqual(ids.map(() => true))
        }))
    })
  })
