/**
 * Budgets for paid work: reserve units before a call, commit what was really
 * used, release what was not. A `Budget` is one service over many named
 * budgets (for example `"tavily.queries"` or `"openai.tokens"`); the counts
 * live in a {@link BudgetLedger.BudgetLedger}, in memory or in SQL.
 *
 * An exhausted budget is not a failure: the engine skips the step with reason
 * `budget` and the run goes on.
 *
 * @since 0.1.0
 */
import { Context, Effect, Exit, Layer, Option, Schema } from "effect"
import * as BudgetLedger from "./BudgetLedger.js"

/**
 * Raised by {@link Service.reserve} when the budget cannot cover the request,
 * or when its ledger cannot be reached (`unavailable`). Never retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class BudgetExhausted extends Schema.TaggedError<BudgetExhausted>()("BudgetExhausted", {
  budget: Schema.String,
  requested: Schema.Number,
  reason: Schema.Literal("exhausted", "unavailable")
}) {
  /** Budget errors are never retried: waiting does not refill a daily cap. */
  readonly retryable = false

  override get message(): string {
    return this.reason === "exhausted"
      ? `budget "${this.budget}" cannot cover ${this.requested} more unit(s)`
      : `budget "${this.budget}" is unavailable (its ledger could not be reached)`
  }
}

/**
 * A held reservation, returned by {@link Service.reserve}.
 *
 * @since 0.1.0
 * @category models
 */
export type Reservation = BudgetLedger.Reservation

/**
 * Usage of one named budget.
 *
 * @since 0.1.0
 * @category models
 */
export type Usage = BudgetLedger.Usage

/**
 * The budget service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Reserves units, failing with {@link BudgetExhausted} when the cap would be passed. */
  readonly reserve: (budget: string, units: number) => Effect.Effect<Reservation, BudgetExhausted>
  /** Commits the units really used (default: the units reserved) and closes the reservation. */
  readonly commit: (reservation: Reservation, used?: number) => Effect.Effect<void>
  /** Gives a reservation back unused. */
  readonly release: (reservation: Reservation) => Effect.Effect<void>
  /** Current usage of one budget. */
  readonly usage: (budget: string) => Effect.Effect<Usage, BudgetExhausted>
}

/**
 * The budget service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Budget extends Context.Tag("@leadgraph/core/Budget")<Budget, Service>() {}

/**
 * Builds the budget service over the ledger in context. A ledger that fails
 * on reserve makes the budget `unavailable`; one that fails on commit or
 * release is logged and leaves the reservation held, which only errs on the
 * side of spending less.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BudgetLedger.BudgetLedger> = Effect.gen(function*() {
  const ledger = yield* BudgetLedger.BudgetLedger
  const unavailable = (budget: string, requested: number) => (cause: BudgetLedger.LedgerError) =>
    Effect.logWarning("budget ledger unavailable", cause).pipe(
      Effect.zipRight(Effect.fail(new BudgetExhausted({ budget, requested, reason: "unavailable" })))
    )
  const settle = (reservation: Reservation, used: number) =>
    ledger.settle(reservation, used).pipe(
      Effect.catchAll((cause) =>
        Effect.logError(`budget ledger could not settle a reservation of "${reservation.budget}"`, cause)
      ),
      Effect.uninterruptible
    )
  return {
    reserve: (budget, units) =>
      ledger.tryReserve(budget, units).pipe(
        Effect.catchAll(unavailable(budget, units)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(new BudgetExhausted({ budget, requested: units, reason: "exhausted" })),
          onSome: Effect.succeed
        }))
      ),
    commit: (reservation, used) => settle(reservation, used ?? reservation.units),
    release: (reservation) => settle(reservation, 0),
    usage: (budget) => ledger.usage(budget).pipe(Effect.catchAll(unavailable(budget, 0)))
  } satisfies Service
})

/**
 * Runs `use` under a reservation of `units`: committed with `used(result)`
 * (default: the units reserved) on success, released on failure or
 * interruption.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withReservation = <A, E, R>(
  budget: string,
  units: number,
  use: (reservation: Reservation) => Effect.Effect<A, E, R>,
  used?: (a: A) => number
): Effect.Effect<A, E | BudgetExhausted, R | Budget> =>
  Effect.flatMap(Budget, (service) =>
    Effect.acquireUseRelease(
      service.reserve(budget, units),
      use,
      (reservation, exit) =>
        Exit.isSuccess(exit)
          ? service.commit(reservation, used ? used(exit.value) : reservation.units)
          : service.release(reservation)
    ))

/**
 * The budget service over the {@link BudgetLedger.BudgetLedger} in context
 * (memory or SQL).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Budget, never, BudgetLedger.BudgetLedger> = Layer.effect(Budget, make)

/**
 * The budget service over a fresh in-memory ledger with these caps. Budgets
 * not named in `caps` have a cap of 0 unless `unlisted` is `"unlimited"`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (
  caps: Readonly<Record<string, number>>,
  options?: { readonly unlisted?: "deny" | "unlimited" }
): Layer.Layer<Budget> =>
  layer.pipe(Layer.provide(BudgetLedger.layerMemory({ caps, unlisted: options?.unlisted ?? "deny" })))
