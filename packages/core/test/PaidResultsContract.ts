/**
 * The contract of the paid results port, run against every implementation
 * (memory here; PGlite and Postgres in the adapters' tests): entries are
 * kept by kind and key, read back until their lifetime ends on the `Clock`,
 * replaced (lifetime restarted) when stored again, and round-trip any JSON
 * value. Each test uses kinds of its own: the store is shared by the suite.
 */
import { describe, expect, it } from "@effect/vitest"
import { PaidResults } from "@leadgraph/core"
import type { Layer } from "effect"
import { Effect, TestClock } from "effect"

/**
 * Registers the paid results tests for one implementation.
 */
export const suite = <E>(label: string, layer: Layer.Layer<PaidResults.PaidResults, E>) =>
  describe(`PaidResults contract (${label})`, () => {
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("returns what was stored, by kind and key, until its lifetime ends", () =>
        Effect.gen(function*() {
          const store = yield* PaidResults.PaidResults
          yield* store.putMany("c1.enrich", [["k1", { contacts: [1, 2] }], ["k2", "two"]], "1 hour")
          const found = yield* store.getMany("c1.enrich", ["k1", "k2", "k3"])
          expect(Object.fromEntries(found)).toEqual({ k1: { contacts: [1, 2] }, k2: "two" })
          // kinds do not share keys
          expect((yield* store.getMany("c1.person", ["k1"])).size).toBe(0)
          yield* TestClock.adjust("59 minutes")
          expect((yield* store.getMany("c1.enrich", ["k1"])).size).toBe(1)
          yield* TestClock.adjust("1 minute")
          expect((yield* store.getMany("c1.enrich", ["k1", "k2"])).size).toBe(0)
        }))

      it.effect("storing a key again replaces its value and restarts its lifetime", () =>
        Effect.gen(function*() {
          const store = yield* PaidResults.PaidResults
          yield* store.putMany("c2.kind", [["k", 1]], "1 hour")
          yield* TestClock.adjust("50 minutes")
          yield* store.putMany("c2.kind", [["k", 2]], "1 hour")
          yield* TestClock.adjust("50 minutes")
          expect(yield* store.getMany("c2.kind", ["k"])).toEqual(new Map([["k", 2]]))
          // a key given twice in one call keeps the last value
          yield* store.putMany("c2.kind", [["d", "first"], ["d", "last"]], "1 hour")
          expect(yield* store.getMany("c2.kind", ["d", "d"])).toEqual(new Map([["d", "last"]]))
        }))

      it.effect("round-trips JSON values of every shape; an empty request does nothing", () =>
        Effect.gen(function*() {
          const store = yield* PaidResults.PaidResults
          const values = { object: { a: [1, { b: null }], c: "x" }, array: [1, "2", true], text: "t", number: 4.5, none: null }
          yield* store.putMany("c3.json", Object.entries(values), "1 day")
          expect(Object.fromEntries(yield* store.getMany("c3.json", Object.keys(values)))).toEqual(values)
          yield* store.putMany("c3.json", [], "1 day")
          expect((yield* store.getMany("c3.json", [])).size).toBe(0)
        }))
    })
  })
