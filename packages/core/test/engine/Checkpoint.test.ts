import { describe, expect, it } from "@effect/vitest"
import { Checkpoint, RunSummary } from "@leadgraph/core"
import { Effect, Option } from "effect"

describe("Checkpoint.layerMemory", () => {
  it.effect("keeps checkpoints per (run, target, step) and cache entries per (step, key)", () =>
    Effect.gen(function*() {
      const cp = yield* Checkpoint.Checkpoint
      const key = { runId: "r", targetId: "t", step: "s" }
      expect(yield* cp.load(key)).toEqual(Option.none())
      yield* cp.save(key, { a: 1 })
      expect(yield* cp.load(key)).toEqual(Option.some({ a: 1 }))
      expect(yield* cp.load({ ...key, runId: "r2" })).toEqual(Option.none())
      // keys with separators in them do not collide
      yield* cp.save({ runId: "a|b", targetId: "c", step: "s" }, 1)
      expect(yield* cp.load({ runId: "a", targetId: "b|c", step: "s" })).toEqual(Option.none())
      yield* cp.saveCached("s", "k", "v")
      expect(yield* cp.loadCached("s", "k")).toEqual(Option.some("v"))
      expect(yield* cp.loadCached("other", "k")).toEqual(Option.none())
    }).pipe(Effect.provide(Checkpoint.layerMemory)))
})

describe("RunSummary.quantile", () => {
  it("is the nearest-rank quantile", () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(RunSummary.quantile(sorted, 0.5)).toBe(5)
    expect(RunSummary.quantile(sorted, 0.9)).toBe(9)
    expect(RunSummary.quantile(sorted, 1)).toBe(10)
    expect(RunSummary.quantile([], 0.5)).toBe(0)
    expect(RunSummary.quantile([7], 0.1)).toBe(7)
  })
})
