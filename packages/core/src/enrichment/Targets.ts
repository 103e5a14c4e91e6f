/**
 * A run's companies: those that most need work (`Store.Companies.selectTargets`),
 * skipping the ones already enriched on the run day, and no more than the
 * tenant's daily cap leaves of that day. The cap counts every run of the
 * day (`enrichedOn`); a rerun also takes companies enriched that day and is
 * bounded by the cap on its own. The day is one `RunDay` for both, so the
 * count and the skip agree, in the run day's zone. A real run and a dry run
 * (whose forecast covers these companies) choose the same way.
 *
 * Run it under the tenant's run lock: a choice made while another run goes
 * could take companies that run is about to mark enriched.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Company } from "./Company.js"
import type { RunDay } from "./RunDay.js"
import type { StoreError, TenantStore } from "./Store.js"

/**
 * What to choose: the run day, the tenant's daily cap, an optional lower
 * `limit` for this run, and whether it is a rerun.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly runDay: RunDay
  /** Companies per run day for the tenant. */
  readonly cap: number
  /** At most this many companies in this run (below what the cap leaves). */
  readonly limit?: number | undefined
  /** Also take companies enriched on the run day; the cap then bounds this run alone. */
  readonly rerun?: boolean | undefined
}

/**
 * Chooses a run's companies from the tenant's store.
 *
 * @since 0.1.0
 * @category running
 */
export const choose = (
  store: TenantStore,
  options: Options
): Effect.Effect<ReadonlyArray<Company>, StoreError> =>
  Effect.gen(function*() {
    const rerun = options.rerun === true
    const spent = rerun ? 0 : yield* store.companies.enrichedOn(options.runDay)
    const cap = Math.max(0, Math.min(options.cap - spent, options.limit ?? options.cap))
    return yield* store.companies.selectTargets({ cap, runDay: options.runDay, rerun })
  }).pipe(Effect.withSpan("Targets.choose", { attributes: { day: options.runDay.date, timeZone: options.runDay.timeZone } }))
