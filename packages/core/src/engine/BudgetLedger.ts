/**
 * The ledger port behind {@link Budget}: where caps, open reservations and
 * committed units are kept. The in-memory ledger lives here; a SQL ledger (so
 * several processes share one cap) implements the same port in
 * `@leadgraph/adapters`.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer, Option, Ref } from "effect"

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
 * Usage of one named budget: its cap, the units held by open reservations and
 * the units committed. `cap` is `Infinity` for an uncapped budget.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly budget: string
  readonly cap: number
  readonly reserved: number
  readonly committed: number
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
 * The ledger service: an atomic reserve against the cap, and a settle that
 * closes a reservation with the units really used (0 to release it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Reserves `units` when `committed + reserved + units <= cap`; `None` when
   * the cap would be passed. Atomic with respect to every other caller.
   */
  readonly tryReserve: (budget: string, units: number) => Effect.Effect<Option.Option<Reservation>, LedgerError>
  /**
   * Closes a reservation, recording `used` units as committed (which may be
   * more or less than were reserved). Settling twice is a no-op.
   */
  readonly settle: (reservation: Reservation, used: number) => Effect.Effect<void, LedgerError>
  /** Current usage of one budget. */
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

interface Account {
  readonly reserved: number
  readonly committed: number
}

/**
 * Builds an in-memory ledger. Its state lives in a `Ref` owned by the returned
 * service, so two ledgers never share counts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: Caps): Effect.Effect<Service> =>
  Effect.gen(function*() {
    const accounts = yield* Ref.make(new Map<string, Account>())
    const open = yield* Ref.make(new Map<string, Reservation>())
    let seq = 0
    const cap = (budget: string): number => capOf(options, budget)
    const account = (map: ReadonlyMap<string, Account>, budget: string): Account =>
      map.get(budget) ?? { reserved: 0, committed: 0 }

    const tryReserve = (budget: string, units: number) =>
      Ref.modify(accounts, (map): [Option.Option<Reservation>, Map<string, Account>] => {
        const a = account(map, budget)
        if (!(units >= 0) || a.committed + a.reserved + units > cap(budget)) return [Option.none(), map]
        const reservation: Reservation = { id: `r${++seq}`, budget, units }
        const next = new Map(map)
        next.set(budget, { reserved: a.reserved + units, committed: a.committed })
        return [Option.some(reservation), next]
      }).pipe(
        Effect.tap((r) => Option.isSome(r) ? Ref.update(open, (m) => new Map(m).set(r.value.id, r.value)) : Effect.void)
      )

    const settle = (reservation: Reservation, used: number) =>
      Ref.modify(open, (m): [boolean, Map<string, Reservation>] => {
        if (!m.has(reservation.id)) return [false, m]
        const next = new Map(m)
        next.delete(reservation.id)
        return [true, next]
      }).pipe(
        Effect.flatMap((wasOpen) =>
          wasOpen
            ? Ref.update(accounts, (map) => {
              const a = account(map, reservation.budget)
              return new Map(map).set(reservation.budget, {
                reserved: a.reserved - reservation.units,
                committed: a.committed + Math.max(0, used)
              })
            })
            : Effect.void
        )
      )

    const usage = (budget: string) =>
      Ref.get(accounts).pipe(Effect.map((map): Usage => ({ budget, cap: cap(budget), ...account(map, budget) })))

    return { tryReserve, settle, usage } satisfies Service
  })

/**
 * An in-memory ledger Layer over the given caps.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: Caps): Layer.Layer<BudgetLedger> =>
  Layer.effect(BudgetLedger, makeMemory(options))
