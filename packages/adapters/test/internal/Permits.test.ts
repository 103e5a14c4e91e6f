import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as Permits from "../../src/internal/Permits.js"

describe("Permits", () => {
  it.effect("lets `permits` holders in at once, the rest in arrival order", () =>
    Effect.gen(function*() {
      const permits = Permits.unsafeMake(2)
      const order: Array<number> = []
      const gates = yield* Effect.forEach([0, 1, 2, 3, 4], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach([0, 1, 2, 3, 4], (i) =>
        Effect.fork(permits.withPermit(Effect.zipRight(Effect.sync(() => order.push(i)), Deferred.await(gates[i]!)))))
      yield* Effect.yieldNow()
      expect(order).toEqual([0, 1])
      expect(permits.waiting()).toBe(3)
      yield* Deferred.succeed(gates[1]!, undefined)
      yield* Fiber.join(fibers[1]!)
      yield* Effect.yieldNow()
      expect(order).toEqual([0, 1, 2])
      yield* Effect.forEach(gates, (g) => Deferred.succeed(g, undefined))
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([0, 1, 2, 3, 4])
      expect(permits.available()).toBe(2)
      expect(permits.waiting()).toBe(0)
    }))

  it.effect("gives the permit back when the holder fails or is interrupted", () =>
    Effect.gen(function*() {
      const permits = Permits.unsafeMake(1)
      const failed = yield* Effect.exit(permits.withPermit(Effect.fail("boom")))
      expect(Exit.isFailure(failed)).toBe(true)
      expect(permits.available()).toBe(1)
      const holder = yield* Effect.fork(permits.withPermit(Effect.never))
      yield* Effect.yieldNow()
      expect(permits.available()).toBe(0)
      yield* Fiber.interrupt(holder)
      expect(permits.available()).toBe(1)
    }))

  it.effect("an interrupted waiter leaves the queue and takes nothing", () =>
    Effect.gen(function*() {
      const permits = Permits.unsafeMake(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(permits.withPermit(Deferred.await(gate)))
      const waiter = yield* Effect.fork(permits.withPermit(Effect.void))
      yield* Effect.yieldNow()
      expect(permits.waiting()).toBe(1)
      yield* Fiber.interrupt(waiter)
      expect(permits.waiting()).toBe(0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(permits.available()).toBe(1)
    }))

  it.effect("a permit handed to a waiter interrupted before it runs goes to the next one", () =>
    Effect.gen(function*() {
      const permits = Permits.unsafeMake(1)
      yield* permits.take
      const first = yield* Effect.fork(permits.withPermit(Effect.void))
      const ran = yield* Deferred.make<void>()
      const second = yield* Effect.fork(permits.withPermit(Deferred.succeed(ran, undefined)))
      yield* Effect.yieldNow()
      expect(permits.waiting()).toBe(2)
      // hand the permit to `first` and interrupt it in the same step, before it resumes
      yield* Effect.zipRight(permits.release, Fiber.interruptFork(first))
      yield* Fiber.await(first)
      yield* Deferred.await(ran)
      yield* Fiber.join(second)
      expect(permits.available()).toBe(1)
      expect(permits.waiting()).toBe(0)
    }))

  it.effect("take keeps the permit until release", () =>
    Effect.gen(function*() {
      const permits = Permits.unsafeMake(2)
      yield* permits.take
      yield* permits.take
      expect(permits.available()).toBe(0)
      const waiter = yield* Effect.fork(permits.take)
      yield* Effect.yieldNow()
      expect(permits.waiting()).toBe(1)
      yield* permits.release
      yield* Fiber.join(waiter)
      expect(permits.available()).toBe(0)
      yield* permits.release
      expect(permits.available()).toBe(1)
    }))
})
