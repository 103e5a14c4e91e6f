/**
 * Which tenant a fiber works for: forked fibers inherit it, and joining a
 * fiber another tenant started never changes it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Tenant, TenantServices } from "@leadgraph/core"
import { Deferred, Effect, Fiber, FiberRef, Option } from "effect"

const A = Tenant.TenantId.make("tenant-a")
const B = Tenant.TenantId.make("tenant-b")

describe("TenantServices.currentTenant", () => {
  it.effect("joining a fiber another tenant started never changes the tenant a fiber works for", () =>
    Effect.gen(function*() {
      // A shared fiber (like the crawler's one robots.txt fetch per origin) that works for A...
      const gate = yield* Deferred.make<void>()
      const shared = yield* Effect.fork(
        FiberRef.set(TenantServices.currentTenant, Option.some(A)).pipe(Effect.zipRight(Deferred.await(gate)))
      )
      // ...and joined by B's work: B's fiber keeps working for B.
      const seen = yield* TenantServices.withTenant(
        B,
        Effect.gen(function*() {
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(shared)
          return yield* FiberRef.get(TenantServices.currentTenant)
        })
      )
      expect(seen).toEqual(Option.some(B))
    }))

  it.effect("a forked fiber works for the tenant of the fiber that forked it", () =>
    Effect.gen(function*() {
      const child = yield* TenantServices.withTenant(A, Effect.fork(FiberRef.get(TenantServices.currentTenant)))
      expect(yield* Fiber.join(child)).toEqual(Option.some(A))
      expect(yield* FiberRef.get(TenantServices.currentTenant)).toEqual(Option.none())
    }))
})
