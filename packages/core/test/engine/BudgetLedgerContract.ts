/**
 * The contract of the budget ledger's owners, run against every
 * implementation (memory here; PGlite and Postgres in the adapters' tests):
 * a live owner's reservations never expire; a dead owner's open ones stay
 * reserved until its lease lapses and are then settled as spent, never
 * released, by whoever next touches the budget; each ledger counts its own
 * day. And a property: over random interleavings of reserve, commit,
 * release and owner death (its lease lapsing as the `TestClock` moves),
 * across several owners on one database, the ledger never passes the cap
 * and never counts less than a model of what the vendor charged.
 */
import { describe, expect, it } from "@effect/vitest"
import { BudgetLedger } from "@leadgraph/core"
import type { Layer } from "effect"
import { Clock, Duration, Effect, ExecutionStrategy, Exit, FastCheck as fc, Option, Scope, TestClock, TestServices } from "effect"

/** One database of an implementation, for one set of caps: owners opened from it share counts. */
export interface Database {
  readonly open: (owner: BudgetLedger.OwnerOptions) => Effect.Effect<BudgetLedger.Owned, never, Scope.Scope>
  /** Usage as it stands, without settling anything. */
  readonly peek: (budget: string, day: BudgetLedger.Day) => Effect.Effect<BudgetLedger.Usage, unknown>
  readonly settlement: (id: string) => Effect.Effect<Option.Option<BudgetLedger.Settlement>, unknown>
}

const day: BudgetLedger.Day = { date: "2026-03-02", timeZone: "Asia/Singapore" }
const nextDay: BudgetLedger.Day = { date: "2026-03-03", timeZone: "Asia/Singapore" }
const lease = { ttl: "2 minutes", renewEvery: "30 seconds" } as const
const terms = BudgetLedger.leaseOf(lease)
const every = Duration.toMillis(terms.renewEvery)
let budgets = 0
const fresh = (prefix: string) => `${prefix}.${++budgets}`

/**
 * Waits (in real time: renewals may do I/O, which the `TestClock` does not
 * wait for) until `done`, for up to 30 s (a loaded machine running two
 * test files at once may take seconds for a renewal's statement).
 */
const waitUntil = (done: Effect.Effect<boolean>, what: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (yield* done) return
      yield* TestServices.provideLive(Effect.sleep("1 millis"))
    }
    return yield* Effect.dieMessage(`timed out waiting until ${what}`)
  })

/**
 * Advances the clock by `total`, one renewal interval at a time, as real
 * time would pass: after each step every live owner has renewed its lease
 * within the last few intervals.
 */
export const tick = (live: () => ReadonlyArray<BudgetLedger.Owned>, total: Duration.DurationInput) =>
  Effect.gen(function*() {
    let left = Duration.toMillis(Duration.decode(total))
    while (left > 0) {
      const step = Math.min(every, left)
      yield* TestClock.adjust(step)
      left -= step
      const now = yield* Clock.currentTimeMillis
      for (const owner of live()) {
        yield* waitUntil(
          Effect.map(owner.leaseUntil, (until) => Option.isNone(until) || until.value >= now + every),
          `owner ${owner.ownerId} renewed its lease`
        )
      }
    }
  })

type Op =
  | { readonly _tag: "Reserve"; readonly owner: number; readonly units: number }
  | { readonly _tag: "Burst"; readonly reserves: ReadonlyArray<{ readonly owner: number; readonly units: number }> }
  | { readonly _tag: "Commit"; readonly owner: number; readonly pick: number; readonly percent: number }
  | { readonly _tag: "Release"; readonly owner: number; readonly pick: number }
  | { readonly _tag: "Die"; readonly owner: number }
  | { readonly _tag: "Tick"; readonly seconds: number }
  | { readonly _tag: "Usage"; readonly owner: number }

const owner = fc.integer({ min: 0, max: 2 })
const units = fc.integer({ min: 0, max: 6 })
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ _tag: fc.constant("Reserve" as const), owner, units }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Burst" as const), reserves: fc.array(fc.record({ owner, units }), { minLength: 2, maxLength: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Commit" as const), owner, pick: fc.nat(), percent: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Release" as const), owner, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Die" as const), owner }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Tick" as const), seconds: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Usage" as const), owner }) }
)

interface Slot {
  readonly scope: Scope.CloseableScope
  readonly ledger: BudgetLedger.Owned
  readonly pending: Array<BudgetLedger.Reservation>
}

/**
 * Registers the owner tests for one implementation.
 */
export const suite = <R, E>(
  label: string,
  layer: Layer.Layer<R, E>,
  database: (caps: BudgetLedger.Caps) => Effect.Effect<Database, never, R>,
  options?: { readonly numRuns?: number }
) =>
  describe(`BudgetLedger owners contract (${label})`, () => {
    it.layer(layer, { timeout: "300 seconds" })((it) => {
      it.effect("a live owner's reservation stays reserved however long its call takes", () =>
        Effect.gen(function*() {
          const b = fresh("long")
          const db = yield* database({ caps: { [b]: 10 } })
          const a = yield* db.open({ day, lease, runId: "run-a" })
          const r = Option.getOrThrow(yield* a.tryReserve(b, 4))
          yield* tick(() => [a], "3 hours")
          const other = yield* db.open({ day, lease })
          expect(yield* other.usage(b)).toEqual({ budget: b, cap: 10, reserved: 4, committed: 0 })
          expect(yield* other.tryReserve(b, 7)).toEqual(Option.none())
          yield* a.settle(r, 3)
          expect(yield* other.usage(b)).toEqual({ budget: b, cap: 10, reserved: 0, committed: 3 })
          expect(yield* db.settlement(r.id)).toEqual(Option.some("committed"))
        }).pipe(Effect.scoped))

      it.effect("a dead owner's open reservations stay reserved until its lease lapses, then the next reservation settles them as spent", () =>
        Effect.gen(function*() {
          const b = fresh("crash")
          const db = yield* database({ caps: { [b]: 10 } })
          const crashed = yield* Scope.make()
          const a = yield* Scope.extend(db.open({ day, lease, runId: "run-1" }), crashed)
          const inFlight = Option.getOrThrow(yield* a.tryReserve(b, 6))
          const done = Option.getOrThrow(yield* a.tryReserve(b, 1))
          yield* a.settle(done, 1)
          // kill -9: nothing settled, no more renewals
          yield* Scope.close(crashed, Exit.void)
          const resumed = yield* db.open({ day, lease, runId: "run-1" })
          yield* tick(() => [resumed], "1 minute")
          expect(yield* resumed.tryReserve(b, 4)).toEqual(Option.none())
          expect(yield* db.peek(b, day)).toEqual({ budget: b, cap: 10, reserved: 6, committed: 1 })
          yield* tick(() => [resumed], "90 seconds")
          // lapsed, but nobody touched the budget yet
          expect(yield* db.peek(b, day)).toMatchObject({ reserved: 6, committed: 1 })
          expect(yield* resumed.tryReserve(b, 4)).toEqual(Option.none())
          expect(yield* db.peek(b, day)).toEqual({ budget: b, cap: 10, reserved: 0, committed: 7, inFlightAtCrash: 1 })
          expect(Option.isSome(yield* resumed.tryReserve(b, 3))).toBe(true)
          expect(yield* db.settlement(inFlight.id)).toEqual(Option.some("in_flight_at_crash"))
          expect(yield* db.settlement(done.id)).toEqual(Option.some("committed"))
        }).pipe(Effect.scoped))

      it.effect("a usage read settles them too, whichever day they counted", () =>
        Effect.gen(function*() {
          const b = fresh("usage")
          const db = yield* database({ caps: { [b]: 5 } })
          const crashed = yield* Scope.make()
          const a = yield* Scope.extend(db.open({ day, lease }), crashed)
          Option.getOrThrow(yield* a.tryReserve(b, 2))
          yield* Scope.close(crashed, Exit.void)
          yield* tick(() => [], "3 minutes")
          const tomorrow = yield* db.open({ day: nextDay, lease })
          expect(yield* tomorrow.usage(b)).toEqual({ budget: b, cap: 5, reserved: 0, committed: 0 })
          expect(yield* db.peek(b, day)).toEqual({ budget: b, cap: 5, reserved: 0, committed: 2, inFlightAtCrash: 1 })
        }).pipe(Effect.scoped))

      it.effect("an owner taken for dead that reports later adds only what it used beyond its reservation", () =>
        Effect.gen(function*() {
          const b = fresh("late")
          const db = yield* database({ caps: { [b]: 10 } })
          const stalled = yield* Scope.make()
          const a = yield* Scope.extend(db.open({ day, lease }), stalled)
          const more = Option.getOrThrow(yield* a.tryReserve(b, 4))
          const less = Option.getOrThrow(yield* a.tryReserve(b, 3))
          yield* Scope.close(stalled, Exit.void)
          yield* tick(() => [], "3 minutes")
          const other = yield* db.open({ day, lease })
          expect(yield* other.usage(b)).toMatchObject({ reserved: 0, committed: 7, inFlightAtCrash: 2 })
          yield* a.settle(more, 6)
          yield* a.settle(less, 1)
          yield* a.settle(more, 9) // once only
          expect(yield* other.usage(b)).toMatchObject({ reserved: 0, committed: 9, inFlightAtCrash: 2 })
          expect(yield* db.settlement(more.id)).toEqual(Option.some("in_flight_at_crash"))
        }).pipe(Effect.scoped))

      it.effect("a run cap binds beside the day's cap: whichever has less left; other runs and budgets are not held by it", () =>
        Effect.gen(function*() {
          const b = fresh("percap")
          const other = fresh("percap-other")
          const db = yield* database({ caps: { [b]: 10, [other]: 10 } })
          const a = yield* db.open({ day, lease, runId: "run-cap", runCaps: { [b]: 4 } })
          const first = Option.getOrThrow(yield* a.tryReserve(b, 3))
          // 3 + 2 > 4: the run's cap binds though the day has 7 left
          expect(yield* a.tryReserve(b, 2)).toEqual(Option.none())
          // what is committed counts, not what was reserved
          yield* a.settle(first, 1)
          const second = Option.getOrThrow(yield* a.tryReserve(b, 3))
          expect(yield* a.tryReserve(b, 1)).toEqual(Option.none())
          // released units are free again
          yield* a.settle(second, 0)
          expect(Option.isSome(yield* a.tryReserve(b, 3))).toBe(true)
          // a budget without a run cap has only the day's
          expect(Option.isSome(yield* a.tryReserve(other, 10))).toBe(true)
          // another run of the day is held only by the day's cap: 10 - 1 - 3 left
          const b2 = yield* db.open({ day, lease, runId: "run-other", runCaps: { [b]: 100 } })
          expect(yield* b2.tryReserve(b, 7)).toEqual(Option.none())
          expect(Option.isSome(yield* b2.tryReserve(b, 6))).toBe(true)
          // the day's cap binds when it has less left than the run's
          const c = yield* db.open({ day, lease, runId: "run-third", runCaps: { [b]: 5 } })
          expect(yield* c.tryReserve(b, 1)).toEqual(Option.none())
          expect(yield* a.usage(b)).toEqual({ budget: b, cap: 10, reserved: 9, committed: 1 })
        }).pipe(Effect.scoped))

      it.effect("a resumed run counts what its earlier attempts used or held, a crashed one's at their reserved units", () =>
        Effect.gen(function*() {
          const b = fresh("percap-resume")
          const db = yield* database({ caps: { [b]: 100 } })
          const runCaps = { [b]: 10 }
          const crashed = yield* Scope.make()
          const first = yield* Scope.extend(db.open({ day, lease, runId: "run-r", runCaps }), crashed)
          const done = Option.getOrThrow(yield* first.tryReserve(b, 3))
          yield* first.settle(done, 2)
          Option.getOrThrow(yield* first.tryReserve(b, 4))
          // kill -9 with 4 units in flight
          yield* Scope.close(crashed, Exit.void)
          const resumed = yield* db.open({ day, lease, runId: "run-r", runCaps })
          // 2 committed + 4 held by the dead attempt: 4 left of the run's 10
          expect(yield* resumed.tryReserve(b, 5)).toEqual(Option.none())
          yield* tick(() => [resumed], "3 minutes")
          // settled as spent at their reserved units: still 4 left
          expect(yield* resumed.tryReserve(b, 5)).toEqual(Option.none())
          expect(Option.isSome(yield* resumed.tryReserve(b, 4))).toBe(true)
          expect(yield* resumed.tryReserve(b, 1)).toEqual(Option.none())
          // a ledger without a run id ignores run caps
          const anonymous = yield* db.open({ day, lease, runCaps: { [b]: 1 } })
          expect(Option.isSome(yield* anonymous.tryReserve(b, 5))).toBe(true)
        }).pipe(Effect.scoped))

      it.effect("each ledger counts its own day, released reservations are recorded as released", () =>
        Effect.gen(function*() {
          const b = fresh("days")
          const db = yield* database({ caps: { [b]: 5 } })
          const today = yield* db.open({ day, lease })
          const tomorrow = yield* db.open({ day: nextDay, lease })
          const r = Option.getOrThrow(yield* today.tryReserve(b, 5))
          expect(yield* today.tryReserve(b, 1)).toEqual(Option.none())
          expect(Option.isSome(yield* tomorrow.tryReserve(b, 5))).toBe(true)
          yield* today.settle(r, 0)
          yield* today.settle(r, 5) // settling twice is a no-op
          expect(yield* today.usage(b)).toEqual({ budget: b, cap: 5, reserved: 0, committed: 0 })
          expect(yield* tomorrow.usage(b)).toEqual({ budget: b, cap: 5, reserved: 5, committed: 0 })
          expect(yield* db.settlement(r.id)).toEqual(Option.some("released"))
        }).pipe(Effect.scoped))

      it.effect.prop(
        "random interleavings of reserve, commit, release and owner death never pass the cap nor count less than the vendor charged",
        { cap: fc.integer({ min: 0, max: 24 }), ops: fc.array(op, { minLength: 1, maxLength: 30 }) },
        ({ cap, ops }) =>
          Effect.gen(function*() {
            const b = fresh("prop")
            const db = yield* database({ caps: { [b]: cap } })
            const parent = yield* Effect.scope
            const slots: Array<Slot | undefined> = [undefined, undefined, undefined]
            // the model: what the vendor charged, and how each reservation must end
            let charged = 0
            let crashed = 0
            const expected = new Map<string, BudgetLedger.Settlement>()
            const live = () => slots.flatMap((s) => (s === undefined ? [] : [s.ledger]))
            const slot = (i: number) =>
              Effect.gen(function*() {
                const found = slots[i]
                if (found !== undefined) return found
                const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
                const opened: Slot = { scope, ledger: yield* Scope.extend(db.open({ day, lease }), scope), pending: [] }
                slots[i] = opened
                return opened
              })
            const reserve = (s: Slot, n: number) =>
              Effect.map(s.ledger.tryReserve(b, n), Option.map((r) => s.pending.push(r)))
            const check = Effect.gen(function*() {
              const held = slots.reduce((n, s) => n + (s?.pending.reduce((m, r) => m + r.units, 0) ?? 0), 0)
              const u = yield* db.peek(b, day)
              // every unit is either committed or reserved, and reserved ones are never lost
              expect(u.committed + u.reserved).toBe(charged + held)
              expect(u.reserved).toBeGreaterThanOrEqual(held)
              expect(u.committed).toBeLessThanOrEqual(charged)
              expect(u.committed + u.reserved).toBeLessThanOrEqual(cap)
              expect(u.inFlightAtCrash ?? 0).toBeLessThanOrEqual(crashed)
            })
            const die = (i: number) =>
              Effect.gen(function*() {
                const s = slots[i]
                if (s === undefined) return
                slots[i] = undefined
                yield* Scope.close(s.scope, Exit.void)
                // its calls were sent: the vendor charged them
                for (const r of s.pending) {
                  charged += r.units
                  crashed += 1
                  expected.set(r.id, "in_flight_at_crash")
                }
              })

            for (const o of ops) {
              switch (o._tag) {
                case "Reserve":
                  yield* reserve(yield* slot(o.owner), o.units)
                  break
                case "Burst": {
                  const opened = yield* Effect.forEach(o.reserves, (r) => slot(r.owner))
                  yield* Effect.forEach(o.reserves, (r, i) => reserve(opened[i]!, r.units), { concurrency: "unbounded" })
                  break
                }
                case "Commit":
                case "Release": {
                  const s = slots[o.owner]
                  if (s === undefined || s.pending.length === 0) break
                  const [r] = s.pending.splice(o.pick % s.pending.length, 1)
                  // a released call was certainly refused: the vendor charged nothing
                  const used = o._tag === "Commit" ? Math.floor((r!.units * o.percent) / 100) : 0
                  yield* s.ledger.settle(r!, used)
                  charged += used
                  expected.set(r!.id, used > 0 ? "committed" : "released")
                  break
                }
                case "Die":
                  yield* die(o.owner)
                  break
                case "Tick":
                  yield* tick(live, Duration.seconds(o.seconds))
                  break
                case "Usage":
                  yield* (yield* slot(o.owner)).ledger.usage(b)
                  break
              }
              yield* check
            }

            // every owner dies; once their leases lapse, the next touch settles all
            for (const i of [0, 1, 2]) yield* die(i)
            yield* tick(() => [], Duration.sum(terms.ttl, terms.renewEvery))
            yield* (yield* slot(0)).ledger.usage(b)
            const u = yield* db.peek(b, day)
            expect(u).toEqual({
              budget: b,
              cap,
              reserved: 0,
              committed: charged,
              ...(crashed > 0 ? { inFlightAtCrash: crashed } : {})
            })
            for (const [id, settlement] of expected) expect([id, yield* db.settlement(id)]).toEqual([id, Option.some(settlement)])
          }).pipe(Effect.scoped),
        { timeout: 240_000, fastCheck: { numRuns: options?.numRuns ?? 100 } }
      )
    })
  })
