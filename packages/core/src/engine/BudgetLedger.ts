/**
 * The ledger port behind {@link Budget}: where caps, open reservations and
 * committed units are kept. The in-memory ledger lives here; a SQL ledger (so
 * several processes share one cap) implements the same port in
 * `@leadgraph/adapters`.
 *
 * A ledger is held by one owner — a run in a process — and counts one
 * {@link Day}, the run's: a run that crosses midnight keeps counting the day
 * it started on. Every reservation belongs to the owner that made it. The
 * owner holds a lease ({@link Lease}) that it renews from a fiber in its
 * scope ({@link keepLease}); once the scope closes, or the process dies, the
 * lease lapses. The open reservations of an owner whose lease lapsed are
 * settled as spent, at their reserved units, since their calls may have been
 * charged: never released as unspent. Whoever next touches that budget
 * (a reservation or a usage read, of any day) settles them, so no reservation
 * stays open longer than its owner lives; the reservations of a live owner
 * never expire, however long their calls take.
 *
 * @since 0.1.0
 */
import type { Scope } from "effect"
import { Clock, Context, Data, Duration, Effect, Layer, Option, Ref, Schedule } from "effect"
import * as Memory from "./internal/ledgerMemory.js"

/**
 * A ledger failed to read or write (for example its database is down). The
 * engine treats it like an exhausted budget: the step is skipped, never paid
 * for blind.
 *
 * @since 0.1.0
 * @category errors
 */
export class LedgerError extends Data.TaggedError("LedgerError")<{
  readonly budget: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `budget ledger unavailable for "${this.budget}"`
  }
}

/**
 * Usage of one named budget on the ledger's day: its cap, the units held by
 * open reservations and the units committed. `cap` is `Infinity` for an
 * uncapped budget. `inFlightAtCrash` counts the reservations that were
 * settled as spent because their owner died while their calls were in
 * flight (their units are part of `committed`); it is present only when
 * there were any.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly budget: string
  readonly cap: number
  readonly reserved: number
  readonly committed: number
  readonly inFlightAtCrash?: number
}

/**
 * An open reservation in a ledger.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reservation {
  readonly id: string
  readonly budget: string
  readonly units: number
}

/**
 * How a reservation was closed: by its owner with units used
 * (`committed`) or none (`released`), or as spent because its owner died
 * while it was open (`in_flight_at_crash`).
 *
 * @since 0.1.0
 * @category models
 */
export type Settlement = "committed" | "released" | "in_flight_at_crash"

/**
 * The day a ledger counts: a calendar date (`YYYY-MM-DD`) in a time zone.
 * Core's `RunDay.RunDay` is one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Day {
  readonly date: string
  readonly timeZone: string
}

/**
 * The ledger service, as held by one owner: an atomic reserve against the
 * cap, and a settle that closes a reservation with the units really used (0
 * to release it). Reserving and reading usage first settle, as spent, the
 * open reservations of that budget whose owner's lease has lapsed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Reserves `units` on the ledger's day when `committed + reserved + units
   * <= cap`; `None` when the cap would be passed. Atomic with respect to
   * every other caller.
   */
  readonly tryReserve: (budget: string, units: number) => Effect.Effect<Option.Option<Reservation>, LedgerError>
  /**
   * Closes a reservation, recording `used` units as committed (which may be
   * more or less than were reserved). Settling twice is a no-op, except that
   * an owner taken for dead may still report more units than it reserved.
   */
  readonly settle: (reservation: Reservation, used: number) => Effect.Effect<void, LedgerError>
  /** Current usage of one budget on the ledger's day. */
  readonly usage: (budget: string) => Effect.Effect<Usage, LedgerError>
}

/**
 * The ledger port.
 *
 * @since 0.1.0
 * @category tags
 */
export class BudgetLedger extends Context.Tag("@leadgraph/core/BudgetLedger")<BudgetLedger, Service>() {}

/**
 * An owner's lease: how long it lasts after each renewal (`ttl`) and how
 * often its owner renews it (`renewEvery`, shorter than `ttl`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Lease {
  readonly ttl: Duration.Duration
  readonly renewEvery: Duration.Duration
}

/**
 * The default lease: two minutes, renewed every thirty seconds. A crashed
 * owner's reservations stay reserved (counted against the cap) for at most
 * this long before they are settled as spent.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLease: Lease = { ttl: Duration.minutes(2), renewEvery: Duration.seconds(30) }

/**
 * A lease from partial options over {@link defaultLease}; a `renewEvery`
 * that is not shorter than `ttl` becomes a third of it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const leaseOf = (options?: { readonly ttl?: Duration.DurationInput; readonly renewEvery?: Duration.DurationInput }): Lease => {
  const ttl = Duration.decode(options?.ttl ?? defaultLease.ttl)
  const renewEvery = Duration.decode(options?.renewEvery ?? defaultLease.renewEvery)
  return { ttl, renewEvery: Duration.lessThan(renewEvery, ttl) ? renewEvery : Duration.unsafeDivide(ttl, 3) }
}

/**
 * Who holds a ledger: the day it counts, the run it serves (recorded with
 * the owner, for people), and its lease.
 *
 * @since 0.1.0
 * @category models
 */
export interface OwnerOptions {
  readonly day: Day
  readonly runId?: string | undefined
  /**
   * Caps of the owner's run, by budget, besides the day's: a reservation
   * must fit both. A run's use counts every owner of its `runId` (a run
   * resumed after a crash counts what its earlier attempts used or held).
   * Ignored without a `runId`.
   */
  readonly runCaps?: Readonly<Record<string, number>> | undefined
  readonly lease?: { readonly ttl?: Duration.DurationInput; readonly renewEvery?: Duration.DurationInput } | undefined
}

/**
 * A ledger held by one owner, with what it knows of its own lease.
 *
 * @since 0.1.0
 * @category models
 */
export interface Owned extends Service {
  readonly ownerId: string
  readonly day: Day
  /** When this owner's lease ends as last renewed (epoch millis); none before the owner is registered. */
  readonly leaseUntil: Effect.Effect<Option.Option<number>>
}

/**
 * Keeps a lease: runs `renew` every `renewEvery` (by the `Clock`, so
 * `TestClock` drives it) from a fiber in the current scope, logging
 * failures and trying again at the next turn. The fiber ends with the scope,
 * and then the lease lapses.
 *
 * @since 0.1.0
 * @category utils
 */
export const keepLease = <E>(renew: Effect.Effect<void, E>, terms: Lease): Effect.Effect<void, never, Scope.Scope> =>
  renew.pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("budget ledger: could not renew the owner's lease", cause)),
    Effect.schedule(Schedule.spaced(terms.renewEvery)),
    Effect.interruptible,
    Effect.forkScoped,
    Effect.asVoid
  )

/**
 * Caps per budget name, in that budget's units. A name missing from the caps
 * is uncapped only when `unlisted` is `"unlimited"`; by default it has a cap
 * of 0, so a forgotten cap never turns into unbounded spend.
 *
 * @since 0.1.0
 * @category models
 */
export interface Caps {
  readonly caps: Readonly<Record<string, number>>
  readonly unlisted?: "deny" | "unlimited"
}

/**
 * The cap of one budget under these caps: its listed cap, else `Infinity`
 * when unlisted budgets are unlimited, else 0.
 *
 * @since 0.1.0
 * @category utils
 */
export const capOf = (options: Caps, budget: string): number =>
  Object.prototype.hasOwnProperty.call(options.caps, budget)
    ? options.caps[budget]!
    : options.unlisted === "unlimited"
    ? Infinity
    : 0

/**
 * One owner's ledger over shared state. An owner that acts with less than
 * one renewal interval of its lease left (its renewing fiber was held up)
 * renews it then: an owner that acts is alive.
 */
const ownerOf = (state: Ref.Ref<Memory.State>, options: Caps, ownerId: string, owner: OwnerOptions, terms: Lease): Owned => {
  const { day, runId } = owner
  const cap = (budget: string): number => capOf(options, budget)
  const runCap = (budget: string): number =>
    runId !== undefined && owner.runCaps !== undefined && Object.prototype.hasOwnProperty.call(owner.runCaps, budget)
      ? owner.runCaps[budget]!
      : Infinity
  const acting = (s: Memory.State, now: number): Memory.State => {
    const until = s.owners.get(ownerId)
    return until === undefined || until - now >= Duration.toMillis(terms.renewEvery)
      ? s
      : { ...s, owners: new Map(s.owners).set(ownerId, now + Duration.toMillis(terms.ttl)) }
  }
  return {
    ownerId,
    day,
    leaseUntil: Effect.map(Ref.get(state), (s) => Option.fromNullable(s.owners.get(ownerId))),
    tryReserve: (budget, units) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(state, (s0): [Option.Option<Reservation>, Memory.State] => {
          const s = Memory.settleDead(acting(s0, now), budget, now)
          const key = Memory.keyOf(budget, day)
          const a = s.accounts.get(key) ?? Memory.none
          if (!(units >= 0) || !Number.isFinite(units) || a.committed + a.reserved + units > cap(budget)) {
            return [Option.none(), s]
          }
          if (runId !== undefined && Memory.runUsed(s, runId, budget) + units > runCap(budget)) return [Option.none(), s]
          const reservation: Reservation = { id: `r${s.seq + 1}`, budget, units }
          return [Option.some(reservation), {
            ...s,
            seq: s.seq + 1,
            accounts: new Map(s.accounts).set(key, { ...a, reserved: a.reserved + units }),
            open: new Map(s.open).set(reservation.id, { ...reservation, key, owner: ownerId })
          }]
        })),
    settle: (reservation, used) => Ref.update(state, (s) => Memory.settle(s, reservation.id, Math.max(0, used))),
    usage: (budget) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(state, (s0): [Usage, Memory.State] => {
          const s = Memory.settleDead(acting(s0, now), budget, now)
          return [Memory.toUsage(budget, cap(budget), s.accounts.get(Memory.keyOf(budget, day)) ?? Memory.none), s]
        }))
  }
}

/**
 * Shared in-memory ledger state — the memory counterpart of one database —
 * from which owners open their ledgers.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryStore {
  /**
   * Opens a ledger for a new owner counting `owner.day`, for the life of the
   * scope: its lease is renewed from a fiber in the scope and lapses once
   * the scope closes.
   */
  readonly open: (owner: OwnerOptions) => Effect.Effect<Owned, never, Scope.Scope>
  /** Usage of a budget on a day as it stands, without settling dead owners' reservations. */
  readonly peek: (budget: string, day: Day) => Effect.Effect<Usage>
  /** How a reservation was settled; none while it is open (or unknown). */
  readonly settlement: (id: string) => Effect.Effect<Option.Option<Settlement>>
}

/**
 * Builds in-memory ledger state with these caps, shared by the owners that
 * open ledgers from it, with counts per budget and day.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemoryStore = (options: Caps): Effect.Effect<MemoryStore> =>
  Effect.map(Ref.make(Memory.empty), (state): MemoryStore => ({
    open: (owner) =>
      Effect.gen(function*() {
        const terms = leaseOf(owner.lease)
        const until = Effect.map(Clock.currentTimeMillis, (now) => now + Duration.toMillis(terms.ttl))
        const ownerId = yield* Effect.flatMap(until, (end) =>
          Ref.modify(state, (s): [string, Memory.State] => {
            const id = `o${s.seq + 1}`
            const runs = owner.runId === undefined ? s.runs : new Map(s.runs).set(id, owner.runId)
            return [id, { ...s, seq: s.seq + 1, owners: new Map(s.owners).set(id, end), runs }]
          }))
        const renew = Effect.flatMap(until, (end) =>
          Ref.update(state, (s) => ({
            ...s,
            owners: new Map(s.owners).set(ownerId, Math.max(s.owners.get(ownerId) ?? 0, end))
          })))
        yield* keepLease(renew, terms)
        return ownerOf(state, options, ownerId, owner, terms)
      }),
    peek: (budget, day) =>
      Effect.map(Ref.get(state), (s) => Memory.toUsage(budget, capOf(options, budget), s.accounts.get(Memory.keyOf(budget, day)) ?? Memory.none)),
    settlement: (id) => Effect.map(Ref.get(state), (s) => Option.map(Option.fromNullable(s.closed.get(id)), (c) => c.as))
  }))

/**
 * Builds a standalone in-memory ledger: one owner that lives as long as the
 * returned service, over state of its own (so two ledgers never share
 * counts), counting one period: the ledger's life.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: Caps): Effect.Effect<Service> =>
  Effect.map(
    Ref.make<Memory.State>({ ...Memory.empty, owners: new Map([["o0", Infinity]]) }),
    (state) => ownerOf(state, options, "o0", { day: { date: "", timeZone: "" } }, defaultLease)
  )

/**
 * An in-memory ledger Layer over the given caps.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: Caps): Layer.Layer<BudgetLedger> =>
  Layer.effect(BudgetLedger, makeMemory(options))
