import { describe, expect, it } from "@effect/vitest"
import { VerificationCache, ZeroBounce } from "@leadgraph/core"
import { Effect, TestClock } from "effect"

const verdict = (email: string, status: ZeroBounce.Status = "valid") =>
  new ZeroBounce.Verdict({
    email,
    status,
    subStatus: "",
    freeEmail: false,
    didYouMean: null,
    mxFound: true,
    processedAt: "2026-05-04 09:12:44.381"
  })

describe("VerificationCache.layerMemory", () => {
  it.effect("returns stored verdicts by normalised address until the TTL passes", () =>
    Effect.gen(function*() {
      const cache = yield* VerificationCache.VerificationCache
      yield* cache.putMany([verdict("jane@acme.example"), verdict("joe@acme.example", "invalid")])
      const hits = yield* cache.getMany([" Jane@ACME.example ", "joe@acme.example", "nobody@acme.example"])
      expect([...hits.keys()]).toEqual(["jane@acme.example", "joe@acme.example"])
      expect(hits.get("joe@acme.example")?.status).toBe("invalid")
      yield* TestClock.adjust("59 minutes")
      expect((yield* cache.getMany(["jane@acme.example"])).size).toBe(1)
      yield* TestClock.adjust("1 minute")
      expect((yield* cache.getMany(["jane@acme.example"])).size).toBe(0)
    }).pipe(Effect.provide(VerificationCache.layerMemory({ ttl: "1 hour" }))))

  it.effect("restarts an address's TTL when it is stored again", () =>
    Effect.gen(function*() {
      const cache = yield* VerificationCache.VerificationCache
      yield* cache.putMany([verdict("jane@acme.example")])
      yield* TestClock.adjust("50 minutes")
      yield* cache.putMany([verdict("jane@acme.example", "catch-all")])
      yield* TestClock.adjust("50 minutes")
      expect((yield* cache.getMany(["jane@acme.example"])).get("jane@acme.example")?.status).toBe("catch-all")
    }).pipe(Effect.provide(VerificationCache.layerMemory({ ttl: "1 hour" }))))
})
