import { describe, expect, it } from "@effect/vitest"
import { type Events, type Outcome, Progress } from "@leadgraph/core"
import { Effect, TestClock } from "effect"

const finished = (state: Outcome.TerminalState, n = 0): Events.Event => ({
  _tag: "TargetFinished",
  runId: "r1",
  targetId: `t${n}`,
  state,
  durationMillis: 10
})

const setup = (options: Partial<Progress.Options> = {}) =>
  Effect.gen(function*() {
    const writes: Array<string> = []
    const progress = yield* Progress.make({ total: 100, label: "acme", write: (c) => void writes.push(c), width: 10, ...options })
    return { writes, ...progress }
  })

describe("Progress", () => {
  it.effect("draws counts by state, the rate and the ETA on one line", () =>
    Effect.gen(function*() {
      const { finish, sink, writes } = yield* setup()
      yield* TestClock.adjust("1 second")
      yield* sink(finished("succeeded"))
      expect(writes).toEqual(["\racme [----------] 1/100 ok 1 partial 0 failed 0 · 1.0/s · ETA 1:39"])
      for (let i = 0; i < 38; i++) yield* sink(finished("succeeded", i))
      yield* sink(finished("partial"))
      yield* sink(finished("failed"))
      yield* sink(finished("succeeded"))
      // 42 done in 3.4 s: 12.4/s, 58 left: 4.7 s.
      yield* TestClock.adjust("2400 millis")
      yield* finish
      expect(writes.at(-1)).toBe("\racme [####------] 42/100 ok 40 partial 1 failed 1 · 12.4/s · ETA 0:05\n")
    }))

  it.effect("redraws at most every minIntervalMillis", () =>
    Effect.gen(function*() {
      const { finish, sink, writes } = yield* setup({ minIntervalMillis: 100 })
      for (let i = 0; i < 10; i++) {
        yield* sink(finished("succeeded", i))
        yield* TestClock.adjust("30 millis")
      }
      // Draws at 0, 120, 240 ms (the first event at or after each 100 ms gap).
      expect(writes.map((w) => w.match(/ (\d+)\/100 /)![1])).toEqual(["1", "5", "9"])
      expect(writes.every((w) => w.startsWith("\r") && !w.includes("\n"))).toBe(true)
      yield* finish
      yield* finish
      yield* sink(finished("failed"))
      expect(writes).toHaveLength(4)
      expect(writes[3]).toMatch(/ 10\/100 ok 10 partial 0 failed 0 .*\n$/)
    }))

  it.effect("ignores other events and pads over a longer previous line", () =>
    Effect.gen(function*() {
      const { finish, sink, writes } = yield* setup({ total: 3, minIntervalMillis: 0 })
      yield* sink({ _tag: "RunStarted", runId: "r1", atMillis: 0 })
      yield* sink({ _tag: "StepStarted", runId: "r1", targetId: "t", step: "crawl", atMillis: 0 })
      expect(writes).toEqual([])
      yield* sink(finished("failed"))
      // No time passed: rate 0, so no ETA.
      expect(writes[0]).toBe("\racme [###-------] 1/3 ok 0 partial 0 failed 1 · 0.0/s · ETA -:--")
      yield* TestClock.adjust("1 hour")
      yield* sink(finished("succeeded"))
      yield* sink(finished("succeeded"))
      yield* finish
      const last = writes.at(-1)!
      expect(last).toContain("[##########] 3/3")
      expect(last).toContain("ETA 0:00\n")
    }))

  it.effect("pads over what a longer previous line left on screen", () =>
    Effect.gen(function*() {
      const { sink, writes } = yield* setup({ minIntervalMillis: 0 })
      yield* TestClock.adjust("1 second")
      for (let i = 0; i < 9; i++) yield* sink(finished("succeeded", i))
      writes.length = 0
      yield* sink(finished("succeeded"))
      yield* TestClock.adjust("1 second")
      yield* sink(finished("succeeded"))
      expect(writes[0]).toContain("· 10.0/s ·")
      expect(writes[1]).toBe("\racme [#---------] 11/100 ok 11 partial 0 failed 0 · 5.5/s · ETA 0:16 ")
      expect(writes[1]!.length).toBe(writes[0]!.length)
    }))

  it.effect("renders hours and clamps when more targets finish than expected", () =>
    Effect.sync(() => {
      const line = Progress.render({
        label: "x",
        total: 4,
        width: 4,
        counts: { succeeded: 5, partial: 0, failed: 0 },
        elapsedMillis: 1000
      })
      expect(line).toBe("x [####] 5/4 ok 5 partial 0 failed 0 · 5.0/s · ETA 0:00")
      const slow = Progress.render({
        label: "x",
        total: 10_000,
        width: 4,
        counts: { succeeded: 1, partial: 0, failed: 0 },
        elapsedMillis: 1000
      })
      expect(slow).toContain("ETA 2:46:39")
    }))
})

describe("Progress.group", () => {
  it.effect("one segment per labelled bar on one line: done/total and each bar's ETA, no ANSI codes", () =>
    Effect.gen(function*() {
      const writes: Array<string> = []
      const group = yield* Progress.group({ write: (c) => void writes.push(c), width: 4, minIntervalMillis: 100 })
      const acme = yield* group.bar("acme")
      const globex = yield* group.bar("globex")
      yield* acme.addTotal(4)
      expect(writes.at(-1)).toBe("\racme [----] 0/4 ETA -:-- | globex [----] 0/0 ETA -:--")
      yield* globex.addTotal(2)
      yield* TestClock.adjust("1 second")
      yield* acme.sink(finished("succeeded", 1))
      yield* acme.sink({ _tag: "RunStarted", runId: "r1", atMillis: 0 })
      // acme: 1 in 1 s, 3 left: 3 s
      expect(writes.at(-1)).toBe("\racme [#---] 1/4 ETA 0:03 | globex [----] 0/2 ETA -:--")
      const drawn = writes.length
      yield* globex.sink(finished("failed", 2))
      expect(writes).toHaveLength(drawn) // within minIntervalMillis
      yield* TestClock.adjust("1 second")
      yield* globex.sink(finished("succeeded", 3))
      expect(writes.at(-1)).toBe("\racme [#---] 1/4 ETA 0:06 | globex [####] 2/2 ETA 0:00")
      yield* group.finish
      yield* group.finish
      yield* acme.sink(finished("succeeded", 4))
      expect(writes.at(-1)!.endsWith("ETA 0:00\n")).toBe(true)
      expect(writes.filter((w) => w.endsWith("\n"))).toHaveLength(1)
      expect(writes.join("")).not.toContain("\x1b")
    }))

  it.effect("a group with no bar draws nothing", () =>
    Effect.gen(function*() {
      const writes: Array<string> = []
      const group = yield* Progress.group({ write: (c) => void writes.push(c) })
      yield* group.finish
      expect(writes).toEqual([])
    }))
})
