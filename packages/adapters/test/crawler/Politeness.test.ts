import { describe, expect, it } from "@effect/vitest"
import * as Politeness from "../../src/crawler/Politeness.js"
import { Clock, Effect, Fiber, Ref, TestClock } from "effect"

interface Span {
  readonly host: string
  readonly start: number
  readonly end: number
}

// A "request" that takes `millis` of (test) time and records when it ran.
const request = (polite: Politeness.Service, spans: Ref.Ref<ReadonlyArray<Span>>, host: string, millis: number) =>
  polite.run(
    host,
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      yield* Effect.sleep(millis)
      const end = yield* Clock.currentTimeMillis
      yield* Ref.update(spans, (s) => [...s, { host, start, end }])
    })
  )

const gapsOf = (spans: ReadonlyArray<Span>, host: string) => {
  const mine = spans.filter((s) => s.host === host).sort((a, b) => a.start - b.start)
  return mine.slice(1).map((s, i) => s.start - mine[i]!.end)
}

describe("Politeness", () => {
  it.effect("one request per host at a time, minDelay apart, other hosts in parallel", () =>
    Effect.gen(function*() {
      const polite = yield* Politeness.make({ perHost: 1, minDelay: "100 millis" })
      const spans = yield* Ref.make<ReadonlyArray<Span>>([])
      const fiber = yield* Effect.fork(Effect.all([
        request(polite, spans, "a.test", 30),
        request(polite, spans, "a.test", 30),
        request(polite, spans, "a.test", 30),
        request(polite, spans, "b.test", 30),
        request(polite, spans, "b.test", 30)
      ], { concurrency: "unbounded" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const all = yield* Ref.get(spans)
      expect(gapsOf(all, "a.test")).toEqual([100, 100])
      expect(gapsOf(all, "b.test")).toEqual([100])
      // b.test did not wait for a.test: both started at time 0.
      expect(all.filter((s) => s.start === 0).map((s) => s.host).sort()).toEqual(["a.test", "b.test"])
    }))

  it.effect("a Crawl-delay longer than minDelay is kept, a shorter one is not", () =>
    Effect.gen(function*() {
      const polite = yield* Politeness.make({ minDelay: "100 millis" })
      yield* polite.setCrawlDelay("slow.test", "2 seconds")
      yield* polite.setCrawlDelay("quick.test", "10 millis")
      const spans = yield* Ref.make<ReadonlyArray<Span>>([])
      const fiber = yield* Effect.fork(Effect.all([
        request(polite, spans, "slow.test", 10),
        request(polite, spans, "slow.test", 10),
        request(polite, spans, "quick.test", 10),
        request(polite, spans, "quick.test", 10)
      ], { concurrency: "unbounded" }))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber)
      const all = yield* Ref.get(spans)
      expect(gapsOf(all, "slow.test")).toEqual([2000])
      expect(gapsOf(all, "quick.test")).toEqual([100])
    }))

  it.effect("host names are compared case-insensitively and perHost allows overlap", () =>
    Effect.gen(function*() {
      const polite = yield* Politeness.make({ perHost: 2, minDelay: "0 millis" })
      const spans = yield* Ref.make<ReadonlyArray<Span>>([])
      const fiber = yield* Effect.fork(Effect.all([
        request(polite, spans, "Two.test", 50),
        request(polite, spans, "two.TEST", 50),
        request(polite, spans, "two.test", 50)
      ], { concurrency: "unbounded" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const starts = (yield* Ref.get(spans)).map((s) => s.start).sort((a, b) => a - b)
      expect(starts).toEqual([0, 0, 50])
    }))

  it.effect("the turn is released when the request fails or is interrupted", () =>
    Effect.gen(function*() {
      const polite = yield* Politeness.make({ minDelay: "10 millis" })
      const failed = yield* Effect.either(polite.run("x.test", Effect.fail("boom")))
      expect(failed._tag).toBe("Left")
      const hung = yield* Effect.fork(polite.run("x.test", Effect.never))
      yield* TestClock.adjust("20 millis")
      yield* Fiber.interrupt(hung)
      const next = yield* Effect.fork(polite.run("x.test", Effect.succeed("ok")))
      yield* TestClock.adjust("20 millis")
      expect(yield* Fiber.join(next)).toBe("ok")
    }))
})
