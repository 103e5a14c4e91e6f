/**
 * A worker's job gate (what `CompanyEnrichmentEntity.layer` runs each
 * company through): at most `concurrency` jobs at once; a drain starts
 * nothing more, holds the waiting and later jobs, and ends when the
 * running ones have. Jobs are held open by Deferreds: nothing here depends
 * on time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option } from "effect"
import * as JobGate from "../../src/internal/JobGate.js"

/** Lets every forked fiber run as far as it can. */
const settle = Effect.yieldNow().pipe(Effect.repeatN(20))

/** A job that records its start and ends (with `name`) when `done` is completed. */
const job = (name: string, started: Array<string>, done: Deferred.Deferred<void>) =>
  Effect.sync(() => started.push(name)).pipe(Effect.zipRight(Deferred.await(done)), Effect.as(name))

describe("JobGate", () => {
  it.effect("runs at most `concurrency` jobs at once, one more when one ends", () =>
    Effect.gen(function*() {
      const gate = yield* JobGate.make(2)
      const started: Array<string> = []
      const done = yield* Effect.forEach(["a", "b", "c", "d"], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach(["a", "b", "c", "d"], (name, i) => Effect.fork(gate.run(job(name, started, done[i]!))))
      yield* settle
      expect(started).toEqual(["a", "b"])
      expect(yield* gate.running).toBe(2)
      yield* Deferred.succeed(done[1]!, undefined)
      expect(yield* Fiber.join(fibers[1]!)).toBe("b")
      yield* settle
      expect(started.length).toBe(3)
      expect(yield* gate.running).toBe(2)
      for (const d of done) yield* Deferred.succeed(d, undefined)
      expect(yield* Effect.forEach(fibers, Fiber.join)).toEqual(["a", "b", "c", "d"])
      expect(yield* gate.running).toBe(0)
    }))

  it.effect("a job's failure is its own, and frees its turn", () =>
    Effect.gen(function*() {
      const gate = yield* JobGate.make(1)
      expect(yield* Effect.flip(gate.run(Effect.fail("boom")))).toBe("boom")
      expect(yield* gate.run(Effect.succeed(1))).toBe(1)
    }))

  it.effect("a drain starts nothing more and ends when the running jobs have; the held jobs never end", () =>
    Effect.gen(function*() {
      const gate = yield* JobGate.make(2)
      const started: Array<string> = []
      const done = yield* Effect.forEach(["a", "b", "c"], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach(["a", "b", "c"], (name, i) => Effect.fork(gate.run(job(name, started, done[i]!))))
      yield* settle
      const drain = yield* Effect.fork(gate.drain)
      yield* settle
      expect(Option.isNone(yield* Fiber.poll(drain))).toBe(true)
      // a's turn goes free, but the waiting c does not start
      yield* Deferred.succeed(done[0]!, undefined)
      expect(yield* Fiber.join(fibers[0]!)).toBe("a")
      yield* settle
      expect(started).toEqual(["a", "b"])
      expect(Option.isNone(yield* Fiber.poll(drain))).toBe(true)
      yield* Deferred.succeed(done[1]!, undefined)
      // the drain reports the jobs that were running when it began
      expect(yield* Fiber.join(drain)).toBe(2)
      // c, and a job that comes after the drain, are held
      const late = yield* Effect.fork(gate.run(Effect.sync(() => started.push("late"))))
      yield* Deferred.succeed(done[2]!, undefined)
      yield* settle
      expect(started).toEqual(["a", "b"])
      expect(Option.isNone(yield* Fiber.poll(fibers[2]!))).toBe(true)
      expect(Option.isNone(yield* Fiber.poll(late))).toBe(true)
      expect(yield* gate.running).toBe(0)
      yield* Fiber.interrupt(fibers[2]!)
      yield* Fiber.interrupt(late)
    }))

  it.effect("a drain with nothing running ends at once", () =>
    Effect.gen(function*() {
      const gate = yield* JobGate.make(3)
      expect(yield* gate.drain).toBe(0)
    }))
})
