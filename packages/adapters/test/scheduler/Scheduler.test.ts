import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Scheduler } from "@leadgraph/adapters"
import { Cause, Clock, Effect, Fiber, Logger, LogLevel, Option, TestClock } from "effect"

const at = (s: string) => new Date(s).getTime()

interface Seen {
  readonly scheduledAt: string
  readonly catchUp: boolean
  readonly startedAt: string
}

// Forks the scheduler over a recording job, with captured logs.
const harness = <E>(
  options: Partial<Scheduler.Options>,
  state: Scheduler.State,
  body: (tick: Scheduler.Tick) => Effect.Effect<void, E> = () => Effect.void
) =>
  Effect.gen(function*() {
    const seen: Array<Seen> = []
    const logs: Array<{ level: string; message: string }> = []
    const causes: Array<string> = []
    const logger = Logger.make(({ cause, logLevel, message }) => {
      logs.push({ level: logLevel.label, message: String(Array.isArray(message) ? message[0] : message) })
      if (!Cause.isEmpty(cause)) causes.push(Cause.pretty(cause))
    })
    const job = (tick: Scheduler.Tick) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        seen.push({ scheduledAt: tick.scheduledAt.toISOString(), catchUp: tick.catchUp, startedAt: new Date(now).toISOString() })
        yield* body(tick)
      })
    const fiber = yield* Scheduler.run(job, { ...Scheduler.defaults, ...options }, state).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.fork
    )
    yield* Effect.yieldNow()
    return { seen, logs, causes, fiber }
  })

describe("Scheduler", () => {
  it.effect("fires at 01:00 Singapore time, which is 17:00 UTC the day before", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-03-01T12:00:00Z"))
      const state = yield* Scheduler.stateMemory
      const { fiber, seen } = yield* harness({}, state)
      yield* TestClock.adjust("4 hours")
      expect(seen).toEqual([])
      yield* TestClock.adjust("2 days")
      expect(seen.map((s) => s.startedAt)).toEqual(["2026-03-01T17:00:00.000Z", "2026-03-02T17:00:00.000Z"])
      expect(seen.every((s) => s.scheduledAt === s.startedAt && !s.catchUp)).toBe(true)
      expect(Option.map(yield* state.lastTick, (d) => d.toISOString())).toEqual(Option.some("2026-03-02T17:00:00.000Z"))
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("follows daylight saving time in Europe/Berlin", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-03-27T12:00:00Z"))
      const { fiber, seen } = yield* harness({ cron: "0 3 * * *", timeZone: "Europe/Berlin" }, yield* Scheduler.stateMemory)
      yield* TestClock.adjust("4 days")
      // 03:00 CET is 02:00 UTC until 29 March, then 03:00 CEST is 01:00 UTC.
      expect(seen.map((s) => s.startedAt)).toEqual([
        "2026-03-28T02:00:00.000Z",
        "2026-03-29T01:00:00.000Z",
        "2026-03-30T01:00:00.000Z",
        "2026-03-31T01:00:00.000Z"
      ])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("nextTick matches croner in the zone", () =>
    Effect.sync(() => {
      const next = Scheduler.nextTick(Scheduler.defaults, new Date("2026-01-01T17:00:00Z"))
      expect(Option.map(next, (d) => d.toISOString())).toEqual(Option.some("2026-01-02T17:00:00.000Z"))
      expect(Scheduler.nextTick({ ...Scheduler.defaults, cron: "nope" }, new Date(0))).toEqual(Option.none())
    }))

  it.effect("never overlaps: ticks during a 25-hour job are skipped with a warning each", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-05-01T00:30:00Z"))
      const { fiber, logs, seen } = yield* harness(
        { cron: "0 * * * *", timeZone: "UTC" },
        yield* Scheduler.stateMemory,
        (tick) => tick.scheduledAt.toISOString() === "2026-05-01T01:00:00.000Z" ? Effect.sleep("25 hours") : Effect.void
      )
      yield* TestClock.adjust("27 hours")
      // The long job ends at 02:00 the next day, exactly on a tick, which still runs.
      expect(seen.map((s) => s.startedAt)).toEqual([
        "2026-05-01T01:00:00.000Z",
        "2026-05-02T02:00:00.000Z",
        "2026-05-02T03:00:00.000Z"
      ])
      const skipped = logs.filter((l) => l.message.includes("skipped"))
      expect(skipped).toHaveLength(24)
      expect(skipped.every((l) => l.level === "WARN")).toBe(true)
      expect(skipped[0]!.message).toBe("tick 2026-05-01T02:00:00.000Z skipped: the previous run is still going")
      expect(skipped[23]!.message).toContain("2026-05-02T01:00:00.000Z")
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("catches up a missed tick inside the window, once", () =>
    Effect.gen(function*() {
      const state = yield* Scheduler.stateMemory
      yield* state.recordTick(new Date("2026-03-01T17:00:00Z"))
      // The process was down at 17:00 UTC on 2 March; it comes back 3 hours later.
      yield* TestClock.setTime(at("2026-03-02T20:00:00Z"))
      const first = yield* harness({}, state)
      expect(first.seen).toEqual([{ scheduledAt: "2026-03-02T17:00:00.000Z", catchUp: true, startedAt: "2026-03-02T20:00:00.000Z" }])
      expect(first.logs.some((l) => l.message === "tick 2026-03-02T17:00:00.000Z started (catch-up)")).toBe(true)
      yield* Fiber.interrupt(first.fiber)
      // A restart an hour later finds the tick recorded and does not run it again.
      yield* TestClock.adjust("1 hour")
      const second = yield* harness({}, state)
      expect(second.seen).toEqual([])
      yield* TestClock.adjust("21 hours")
      expect(second.seen.map((s) => [s.scheduledAt, s.catchUp])).toEqual([["2026-03-03T17:00:00.000Z", false]])
      yield* Fiber.interrupt(second.fiber)
    }))

  it.effect("does not catch up outside the window, when disabled, or with no recorded tick", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-03-02T23:30:00Z"))
      const cases: Array<[Partial<Scheduler.Options>, Option.Option<Date>]> = [
        [{}, Option.some(new Date("2026-03-01T17:00:00Z"))], // 6.5 hours late
        [{ catchUpWindow: "0 seconds" }, Option.some(new Date("2026-03-01T17:00:00Z"))],
        [{ catchUpWindow: "1 day" }, Option.none()]
      ]
      for (const [options, last] of cases) {
        const state = yield* Scheduler.stateMemory
        if (Option.isSome(last)) yield* state.recordTick(last.value)
        const { fiber, logs, seen } = yield* harness(options, state)
        expect(seen).toEqual([])
        if (Option.isSome(last)) expect(logs.some((l) => l.message.includes("outside the catch-up window"))).toBe(true)
        yield* Fiber.interrupt(fiber)
      }
      // With a one-day window the same 6.5-hour-old tick is caught up.
      const state = yield* Scheduler.stateMemory
      yield* state.recordTick(new Date("2026-03-01T17:00:00Z"))
      const { fiber, seen } = yield* harness({ catchUpWindow: "1 day" }, state)
      expect(seen.map((s) => s.catchUp)).toEqual([true])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a failing job is logged and the schedule goes on", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-05-01T00:30:00Z"))
      let calls = 0
      const { causes, fiber, logs, seen } = yield* harness(
        { cron: "0 * * * *", timeZone: "UTC" },
        yield* Scheduler.stateMemory,
        () => ++calls === 1 ? Effect.fail("vendor down") : calls === 2 ? Effect.die(new Error("bug")) : Effect.void
      )
      yield* TestClock.adjust("3 hours")
      expect(seen).toHaveLength(3)
      const failed = logs.filter((l) => l.level === "ERROR")
      expect(failed.map((l) => l.message)).toEqual([
        "tick 2026-05-01T01:00:00.000Z failed; the schedule goes on",
        "tick 2026-05-01T02:00:00.000Z failed; the schedule goes on"
      ])
      expect(causes).toHaveLength(2)
      expect(causes[0]).toContain("vendor down")
      expect(causes[1]).toContain("bug")
      expect(fiber.unsafePoll()).toBeNull()
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("rejects a bad pattern or zone, naming the variable", () =>
    Effect.gen(function*() {
      const state = yield* Scheduler.stateMemory
      const badCron = yield* Effect.flip(Scheduler.run(() => Effect.void, { ...Scheduler.defaults, cron: "61 * * * *" }, state))
      expect(badCron.reason).toBe("InvalidCron")
      expect(badCron.message).toContain("SCHED_CRON")
      expect(badCron.message).toContain("61 * * * *")
      const badZone = yield* Effect.flip(Scheduler.run(() => Effect.void, { ...Scheduler.defaults, timeZone: "Mars/Olympus" }, state))
      expect(badZone.reason).toBe("InvalidTimeZone")
      expect(badZone.message).toContain("SCHED_TZ")
      expect(badZone.message).toContain("Mars/Olympus")
    }))

  it.effect("keeps its state in a file: missing, round trip, corrupt", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const path = `${dir}/nested/scheduler.json`
      const state = yield* Scheduler.stateFile(path)
      expect(yield* state.lastTick).toEqual(Option.none())
      yield* state.recordTick(new Date("2026-03-02T17:00:00Z"))
      expect(JSON.parse(yield* fs.readFileString(path))).toEqual({ lastTick: "2026-03-02T17:00:00.000Z" })
      const again = yield* Scheduler.stateFile(path)
      expect(Option.map(yield* again.lastTick, (d) => d.toISOString())).toEqual(Option.some("2026-03-02T17:00:00.000Z"))
      for (const corrupt of ["{not json", "{\"lastTick\":\"yesterday\"}", "[]"]) {
        yield* fs.writeFileString(path, corrupt)
        const error = yield* Effect.flip(again.lastTick)
        expect(error.reason).toBe("State")
        expect(error.message).toContain(path)
        expect(error.message).toContain("corrupt")
        // The scheduler refuses to start on a corrupt state file.
        const refused = yield* Effect.flip(Scheduler.run(() => Effect.void, Scheduler.defaults, again))
        expect(refused.reason).toBe("State")
      }
    }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)))

  it.effect("logs each start with its tick at info level", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-03-01T12:00:00Z"))
      const { fiber, logs } = yield* harness({}, yield* Scheduler.stateMemory)
      yield* TestClock.adjust("1 day")
      expect(logs).toContainEqual({ level: LogLevel.Info.label, message: "tick 2026-03-01T17:00:00.000Z started" })
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("with a shared state, runs only the ticks it takes; one it cannot take is run nowhere, not twice", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(at("2026-03-01T12:00:00Z"))
      const memory = yield* Scheduler.stateMemory
      const answers = ["taken", "another's", "unreachable"]
      const state: Scheduler.State = {
        ...memory,
        claim: () => {
          const answer = answers.shift()
          return answer === "unreachable"
            ? Effect.fail(new Scheduler.SchedulerError({ reason: "State", detail: "cannot take the tick in the database" }))
            : Effect.succeed(answer === "taken")
        }
      }
      const { fiber, logs, seen } = yield* harness({}, state)
      yield* TestClock.adjust("3 days")
      expect(seen.map((s) => s.scheduledAt)).toEqual(["2026-03-01T17:00:00.000Z"])
      expect(logs).toContainEqual({ level: LogLevel.Info.label, message: "tick 2026-03-02T17:00:00.000Z is another process's: not run here" })
      expect(logs).toContainEqual({ level: LogLevel.Error.label, message: "tick 2026-03-03T17:00:00.000Z: could not take it; not run here" })
      yield* Fiber.interrupt(fiber)
    }))
})
