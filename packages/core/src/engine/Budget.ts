/**
 * Budgets for paid work: reserve units before a call, commit what was really
 * used, release what was not. A `Budget` is one service over many named
 * budgets (for example `"tavily.queries"` or `"openai.tokens"`); the counts
 * live in a {@link BudgetLedger.BudgetLedger}, in memory or in SQL.
 *
 * An exhausted budget is not a failure: the engine skips the step with reason
 * `budget` and the run goes on.
 *
 * What a paid call counts as is one policy, {@link chargeOf}: its measured
 * use when it answered; its reserved units when the vendor may have billed
 * it (an error with `charged: true`: a success status whose body could not
 * be read, a time-out or a lost connection after sending; or, with no such
 * error, an interruption or defect after a request left, see
 * {@link billable}); nothing when the vendor certainly refused it (an error
 * with `charged: false`: a 4xx before processing, a connection never made)
 * or nothing was sent. {@link withReservation} and {@link charging} apply it.
 *
 * Paid calls are drawn for by the step that makes them: a step declares its
 * draw (`Step.BudgetDraw`), the engine reserves it ({@link drawFrom}) before
 * the step runs, and each paid call inside reports what it cost to that
 * draw ({@link metered}); vendor adapters reserve nothing themselves.
 *
 * @since 0.1.0
 */
import { Cause, Chunk, Context, Effect, Exit, FiberRef, Layer, Metric, Option, Schedule, Schema } from "effect"
import * as BudgetLedger from "./BudgetLedger.js"
import { currentDraws, currentMeters, type Draw, mark, type Meter } from "./internal/meters.js"
import * as Metrics from "./Metrics.js"
import * as Retry from "./Retry.js"

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
 * How a commit or release that failed for a retryable cause is tried again:
 * 4 more attempts, 200 ms apart and doubling (about 3 seconds in all), on
 * the `Clock`. Settling a reservation twice is harmless: the ledger settles
 * only an open one.
 *
 * @since 0.1.0
 * @category defaults
 */
export const settleRetry: Schedule.Schedule<unknown, BudgetLedger.LedgerError> = Schedule.intersect(
  Schedule.exponential("200 millis"),
  Schedule.recurs(4)
)

/**
 * Builds the budget service over the ledger in context. A ledger that fails
 * on reserve makes the budget `unavailable`. A commit or release whose
 * ledger error carries a retryable cause (a lost connection, a deadlock or
 * serialization conflict) is tried again ({@link settleRetry}); one that
 * still fails is logged and leaves the reservation held, which only errs on
 * the side of spending less.
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
      Effect.retry({ schedule: settleRetry, while: (error) => Retry.isRetryable(error.cause) }),
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
 * An error that says whether the vendor may have billed the call that
 * failed with it (every vendor error does: see `VendorError.fields`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Chargeable {
  readonly charged?: boolean | undefined
}

/**
 * What an error says about billing: `true` (the vendor may have billed the
 * call), `false` (it certainly did not), or `undefined` (the error does not
 * say: not a vendor error).
 *
 * @since 0.1.0
 * @category predicates
 */
export const chargedBy = (error: unknown): boolean | undefined =>
  typeof error === "object" && error !== null && typeof (error as Chargeable).charged === "boolean"
    ? (error as Chargeable).charged
    : undefined

/**
 * The charge policy: the units a paid call of `units` counts as, given how
 * it ended.
 *
 * - It succeeded: `used(value)` (default: `units`).
 * - It failed with an error that says it may have been billed
 *   (`charged: true`): `units`.
 * - It failed with errors that all say it was not (`charged: false`): 0.
 * - Otherwise (interrupted, a defect, an error that does not say): `units`
 *   when a billable request left while it ran (`sent`, see {@link billable}),
 *   0 when none did.
 *
 * @since 0.1.0
 * @category policy
 */
export const chargeOf = <A, E>(
  exit: Exit.Exit<A, E>,
  options: { readonly units: number; readonly used?: ((a: A) => number) | undefined; readonly sent: boolean }
): number => {
  if (Exit.isSuccess(exit)) return options.used === undefined ? options.units : options.used(exit.value)
  const said = Chunk.toReadonlyArray(Cause.failures(exit.cause)).map(chargedBy)
  if (said.some((c) => c === true)) return options.units
  if (said.length > 0 && said.every((c) => c === false) && !Cause.isInterrupted(exit.cause)) return 0
  return options.sent ? options.units : 0
}

/**
 * Marks `send` as a request the vendor may bill, for every {@link charging}
 * (and {@link withReservation}) around it: from the moment it starts, until
 * it fails with an error saying it was not billed (`charged: false`), an
 * interruption or a defect of the paid call counts as billed. Vendor clients
 * wrap each billable request in it; free requests (balance queries, free
 * searches) are not wrapped.
 *
 * @since 0.1.0
 * @category policy
 */
export const billable = <A, E, R>(send: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(FiberRef.get(currentMeters), (meters) =>
    meters.length === 0 ? send : Effect.zipRight(
      Effect.sync(() => mark(meters, 1)),
      Effect.tapError(send, (error) => chargedBy(error) === false ? Effect.sync(() => mark(meters, -1)) : Effect.void)
    ))

/**
 * Runs one paid `call` of `units` and, as soon as it ends (without letting
 * an interruption in between), hands `settle` what it cost by
 * {@link chargeOf} and how it ended. `settle` records the cost (commits a
 * reservation, adds to what a shared one spent) and keeps a paid answer.
 *
 * @since 0.1.0
 * @category combinators
 */
export const charging = <A, E, R>(
  call: Effect.Effect<A, E, R>,
  options: { readonly units: number; readonly used?: ((a: A) => number) | undefined },
  settle: (cost: number, exit: Exit.Exit<A, E>) => Effect.Effect<void>
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const meter: Meter = { sent: 0 }
      return restore(call).pipe(
        Effect.locallyWith(currentMeters, (meters) => [...meters, meter]),
        Effect.exit,
        Effect.flatMap((exit) =>
          Effect.zipRight(settle(chargeOf(exit, { ...options, sent: meter.sent > 0 }), exit), exit)
        )
      )
    })
  )

/**
 * Runs `use` as one paid call under a reservation of its own of `units`
 * (a {@link drawing} with the call {@link metered} into it), settled by the charge policy
 * ({@link chargeOf}): committed with `used(result)` (default: the units
 * reserved) on success; committed with the units reserved when the vendor
 * may have billed the call (a vendor error with `charged: true`, or an
 * interruption or defect after a billable request left); released when it
 * certainly did not, or nothing was sent.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withReservation = <A, E, R>(
  budget: string,
  units: number,
  use: () => Effect.Effect<A, E, R>,
  used?: (a: A) => number
): Effect.Effect<A, E | BudgetExhausted, R | Budget> =>
  // one paid call metered into a draw of its own: the one mechanism, not a second
  drawing(budget, units, metered(budget, Effect.suspend(use), { units, used }))

/**
 * Runs `use` under one draw of `units` from budget `name`: the units are
 * reserved before it starts (failing with {@link BudgetExhausted} when they
 * cannot be), and the paid calls inside it report their cost to the draw
 * ({@link metered}) instead of reserving their own. This is how the engine
 * runs a step that declares a budget (`Step.BudgetDraw`); use it directly to
 * put paid calls outside a graph under one reservation.
 *
 * What the draw commits when `use` ends:
 * - it succeeded: `used(result)` when given; else what the metered calls
 *   cost when any ran (by {@link chargeOf}); else the units reserved
 *   (nothing in it was metered), or nothing with `metered: true` (every
 *   paid call in it is metered: an answer found in a cache cost nothing);
 * - it failed or was interrupted: what the metered calls cost, so a call the
 *   vendor may have billed stays counted; released when that is nothing.
 *
 * `used` may answer `undefined` to keep that default. A throwing `used`
 * commits the units reserved and dies with its defect.
 * Units must be finite and non-negative (else a `RangeError` defect).
 *
 * @since 0.1.0
 * @category combinators
 */
export const drawFrom = <A, E, R>(
  service: Service,
  name: string,
  units: number,
  use: Effect.Effect<A, E, R>,
  options?: {
    readonly used?: ((a: A) => number | undefined) | undefined
    /** Every paid call in `use` is metered: commit what they cost, nothing when none ran. */
    readonly metered?: boolean | undefined
    /** Told the units committed (0: released) and the metered calls made, once the draw is settled. */
    readonly settled?: ((units: number, calls: number) => void) | undefined
  }
): Effect.Effect<A, E | BudgetExhausted, R> =>
  !(Number.isFinite(units) && units >= 0)
    ? Effect.die(new RangeError(`budget "${name}" was asked for ${units} units`))
    : Effect.suspend(() => {
      const draw: Draw = { name, calls: 0, spent: 0 }
      const commit = (reservation: Reservation, total: number) => {
        options?.settled?.(total, draw.calls)
        if (total === 0 && draw.calls === 0) return service.release(reservation)
        return Effect.zipRight(
          service.commit(reservation, total),
          total > 0 ? Metric.incrementBy(Metric.tagged(Metrics.budgetUnitsUsed, "budget", name), total) : Effect.void
        )
      }
      return Effect.acquireUseRelease(
        service.reserve(name, units),
        () => Effect.locallyWith(use, currentDraws, (draws) => [...draws, draw]),
        (reservation, exit) => {
          if (Exit.isFailure(exit)) return commit(reservation, draw.spent)
          const metered = draw.calls > 0 || options?.metered === true ? draw.spent : reservation.units
          let total: number | undefined
          try {
            total = options?.used?.(exit.value)
          } catch (defect) {
            return Effect.zipRight(commit(reservation, reservation.units), Effect.die(defect))
          }
          return commit(reservation, total ?? metered)
        }
      )
    })

/**
 * {@link drawFrom} over the `Budget` in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const drawing = <A, E, R>(
  name: string,
  units: number,
  use: Effect.Effect<A, E, R>,
  used?: (a: A) => number
): Effect.Effect<A, E | BudgetExhausted, R | Budget> =>
  Effect.flatMap(Budget, (service) => drawFrom(service, name, units, use, { used }))

/** Counts a paid call of the vendor of budget `name`, and its failure. */
const countCall = (name: string, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
  const vendor = Metrics.vendorOf(name)
  const call = Metric.increment(Metric.tagged(Metrics.vendorCalls, "vendor", vendor))
  return Exit.isSuccess(exit) ? call : Effect.zipRight(
    call,
    Metric.increment(Metric.tagged(Metric.tagged(Metrics.vendorErrors, "vendor", vendor), "reason", Metrics.reasonOf(exit)))
  )
}

/**
 * One paid call of `units` from budget `name`, as vendor adapters make
 * them. Inside a draw of that budget (a step that declares it, or
 * {@link drawing}) the call reserves nothing: as soon as it ends (no
 * interruption in between) its answer is kept with `keep` and its cost, by
 * {@link chargeOf}, is added to the draw, which commits it. Outside any
 * draw of that budget the call draws its own `units` ({@link withReservation}
 * with `keep`), so an adapter used on its own still honours the caps.
 *
 * @since 0.1.0
 * @category combinators
 */
export const metered = <A, E, R>(
  name: string,
  call: Effect.Effect<A, E, R>,
  options: {
    readonly units: number
    readonly used?: ((a: A) => number) | undefined
    readonly keep?: ((a: A) => Effect.Effect<void>) | undefined
  }
): Effect.Effect<A, E | BudgetExhausted, R | Budget> =>
  Effect.flatMap(FiberRef.get(currentDraws), (draws) => {
    let draw: Draw | undefined
    for (const d of draws) if (d.name === name) draw = d
    if (draw === undefined) return drawing(name, options.units, metered(name, call, options))
    const into = draw
    return charging(call, options, (cost, exit) =>
      Effect.zipRight(
        Exit.isSuccess(exit) && options.keep !== undefined ? options.keep(exit.value) : Effect.void,
        Effect.zipRight(
          countCall(name, exit),
          Effect.sync(() => {
            into.calls++
            into.spent += cost
          })
        )
      ))
  })

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
