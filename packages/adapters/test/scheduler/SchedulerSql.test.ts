/**
 * The scheduler's state in the database, on PGlite and (with
 * `DATABASE_URL`) Postgres: two processes on one schedule run each tick
 * once, in whichever takes it; a restarted process catches up from the last
 * tick either took, and does not run it again; another schedule's ticks are
 * its own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Scheduler, SchedulerSql } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Deferred, Effect, Fiber, Logger, Option, TestClock } from "effect"

const at = (s: string) => new Date(s).getTime()
const options = { ...Scheduler.defaults, cron: "0 1 * * *", timeZone: "Asia/Singapore" }

/** A process's scheduler: its runs, and a signal for each tick it decided (ran it, or left it to another). */
const process_ = (holder: string, decided: Deferred.Deferred<string>, opts: Scheduler.Options = options) =>
  Effect.gen(function*() {
    const ran: Array<string> = []
    const state = yield* SchedulerSql.state(opts, holder)
    const logger = Logger.make(({ message }) => {
      const text = String(Array.isArray(message) ? message[0] : message)
      if (text.endsWith("not run here")) Deferred.unsafeDone(decided, Effect.succeed(`${holder}: left`))
    })
    const job = (tick: Scheduler.Tick) =>
      Effect.sync(() => {
        ran.push(`${tick.scheduledAt.toISOString()}${tick.catchUp ? " (catch-up)" : ""}`)
        Deferred.unsafeDone(decided, Effect.succeed(`${holder}: ran`))
      })
    const fiber = yield* Scheduler.run(job, opts, state).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.fork
    )
    return { ran, fiber }
  })

for (const target of TestDatabases.targets("scheduler_ticks", process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL)) {
  describe(`SchedulerSql (${target.label})`, () => {
    it.scoped("two processes on one schedule: each tick runs once, a restart catches up from the last tick taken", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(at("2026-03-01T12:00:00Z"))
        const first = yield* Deferred.make<string>()
        const second = yield* Deferred.make<string>()
        const a = yield* process_("a", first)
        const b = yield* process_("b", second)
        // 01:00 in Singapore is 17:00 UTC
        yield* TestClock.adjust("5 hours")
        const decided = [yield* Deferred.await(first), yield* Deferred.await(second)].sort()
        expect(decided.filter((d) => d.endsWith("ran"))).toHaveLength(1)
        expect(decided.filter((d) => d.endsWith("left"))).toHaveLength(1)
        expect([...a.ran, ...b.ran]).toEqual(["2026-03-01T17:00:00.000Z"])
        yield* Fiber.interrupt(a.fiber)
        yield* Fiber.interrupt(b.fiber)

        // the last tick taken is the same for every process on the schedule
        const state = yield* SchedulerSql.state(options, "c")
        expect(Option.map(yield* state.lastTick, (d) => d.toISOString())).toEqual(Option.some("2026-03-01T17:00:00.000Z"))
        // a tick already taken is nobody else's; another schedule's is its own
        expect(yield* state.claim!(new Date(at("2026-03-01T17:00:00Z")))).toBe(false)
        const other = yield* SchedulerSql.state({ ...options, timeZone: "Europe/Berlin" }, "c")
        expect(yield* other.claim!(new Date(at("2026-03-01T17:00:00Z")))).toBe(true)

        // both down over the next night's tick; one restarts within the window: it catches up, once
        yield* TestClock.setTime(at("2026-03-02T18:00:00Z"))
        const third = yield* Deferred.make<string>()
        const c = yield* process_("c", third)
        expect(yield* Deferred.await(third)).toBe("c: ran")
        expect(c.ran).toEqual(["2026-03-02T17:00:00.000Z (catch-up)"])
        const fourth = yield* Deferred.make<string>()
        const d = yield* process_("d", fourth)
        // d finds the missed tick taken: nothing to catch up, nothing run
        yield* TestClock.adjust("1 minute")
        expect(d.ran).toEqual([])
        expect(yield* Deferred.isDone(fourth)).toBe(false)
        yield* Fiber.interrupt(c.fiber)
        yield* Fiber.interrupt(d.fiber)
      }).pipe(Effect.provide(target.database())), { timeout: 120_000 })
  })
}
