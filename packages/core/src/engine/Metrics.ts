/**
 * The metrics leadgraph records, as Effect `Metric`s (in Effect's metric
 * registry; exported only when an exporter such as the runner's OTLP layer
 * reads them). Names are snake_case and prefixed `leadgraph_`:
 *
 * | metric | kind | tags | recorded by |
 * | --- | --- | --- | --- |
 * | `leadgraph_companies_done` | counter | `outcome` (`succeeded`, `partial`, `failed`) | `EnrichmentRun`, as each company ends ({@link recordTarget}) |
 * | `leadgraph_step_duration_ms` | histogram | `step`, `status` (`succeeded`, `failed`) | `EnrichmentRun`, for each step whose handler ran, as its company ends |
 * | `leadgraph_vendor_calls` | counter | `vendor` | `Budget.metered`: every paid vendor call |
 * | `leadgraph_vendor_errors` | counter | `vendor`, `reason` (the vendor error's reason) | `Budget.metered`: every paid call that failed |
 * | `leadgraph_budget_units_used` | counter | `budget` | `Budget.drawFrom`: the units each draw commits |
 * | `leadgraph_rate_limit_late_retakes` | counter | `key` (the limit's key: vendor and key fingerprint) | the adapters' `SharedRateLimits`: turns a caller woke too late for and let go |
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Metric, MetricBoundaries, Option, Predicate } from "effect"
import type { Outcome, TerminalState } from "./Outcome.js"

/**
 * Companies whose run ended, by `outcome`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const companiesDone = Metric.counter("leadgraph_companies_done", {
  description: "companies whose enrichment ended, by outcome",
  incremental: true
})

/**
 * How long each step's handler took, in milliseconds, by `step` and
 * `status`; restored and skipped steps are not recorded.
 *
 * @since 0.1.0
 * @category metrics
 */
export const stepDuration = Metric.histogram(
  "leadgraph_step_duration_ms",
  // 1 ms to about 9 minutes, doubling
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 20 }),
  "how long each step's handler took, in milliseconds"
)

/**
 * Paid vendor calls, by `vendor`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const vendorCalls = Metric.counter("leadgraph_vendor_calls", {
  description: "paid vendor calls, by vendor",
  incremental: true
})

/**
 * Paid vendor calls that failed, by `vendor` and `reason`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const vendorErrors = Metric.counter("leadgraph_vendor_errors", {
  description: "paid vendor calls that failed, by vendor and reason",
  incremental: true
})

/**
 * Budget units committed, by `budget`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const budgetUnitsUsed = Metric.counter("leadgraph_budget_units_used", {
  description: "budget units committed, by budget",
  incremental: true
})

/**
 * Turns of a shared vendor rate limit that their caller woke too late for
 * and let go (it took a new one), by `key`: each is a call the vendor's
 * limit allowed and nobody made.
 *
 * @since 0.1.0
 * @category metrics
 */
export const rateLimitLateRetakes = Metric.counter("leadgraph_rate_limit_late_retakes", {
  description: "turns of a shared vendor rate limit that their caller woke too late for, by limit key",
  incremental: true
})

/**
 * The vendor a budget belongs to: its name up to the first dot
 * (`lusha.lookups` is `lusha`'s).
 *
 * @since 0.1.0
 * @category utils
 */
export const vendorOf = (budget: string): string => {
  const dot = budget.indexOf(".")
  return dot === -1 ? budget : budget.slice(0, dot)
}

/**
 * Why a call or step failed, secret-free: a vendor error's `reason`
 * (`Unauthorized`, `RateLimited`, ...), else the error's tag (or class
 * name); `interrupted` or `defect` when it did not fail with an error.
 *
 * @since 0.1.0
 * @category utils
 */
export const reasonOf = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "none"
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "defect"
  return errorReason(failure.value)
}

/**
 * An error's reason, secret-free: its `reason` field when it is a string,
 * else its tag (or class name), else `error`.
 *
 * @since 0.1.0
 * @category utils
 */
export const errorReason = (error: unknown): string => {
  if (Predicate.hasProperty(error, "reason") && typeof error.reason === "string") return error.reason
  if (Predicate.hasProperty(error, "_tag") && typeof error._tag === "string") return error._tag
  return error instanceof Error ? error.name : "error"
}

/**
 * Records one finished target (a company): {@link companiesDone} by its
 * outcome and {@link stepDuration} for each step whose handler ran.
 *
 * @since 0.1.0
 * @category recording
 */
export const recordTarget = (result: {
  readonly state: TerminalState
  readonly outcomes: Readonly<Record<string, Outcome<unknown, unknown>>>
}): Effect.Effect<void> =>
  Effect.suspend(() => {
    const updates: Array<Effect.Effect<void>> = [Metric.increment(Metric.tagged(companiesDone, "outcome", result.state))]
    for (const [step, outcome] of Object.entries(result.outcomes)) {
      const status = outcome._tag === "Failed" ? "failed" : outcome._tag === "Succeeded" && !outcome.restored ? "succeeded" : undefined
      if (status === undefined) continue
      updates.push(Metric.update(Metric.tagged(Metric.tagged(stepDuration, "step", step), "status", status), outcome.durationMillis))
    }
    return Effect.all(updates, { discard: true })
  })
