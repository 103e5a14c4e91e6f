/**
 * The summary of a run: targets per terminal state and, per step, outcome
 * counts, p50/p90/max duration of executed attempts, and budget units
 * committed. Built incrementally, so a run of any length keeps only one
 * number per executed step.
 *
 * @since 0.1.0
 */
import type { Outcome, SkipReason, TerminalState } from "./Outcome.js"

/**
 * Counts and timings of one step over a run. Durations are in milliseconds
 * and cover executed steps only (not skipped or restored ones).
 *
 * @since 0.1.0
 * @category models
 */
export interface StepStats {
  readonly step: string
  readonly succeeded: number
  readonly restored: number
  readonly failed: number
  readonly skipped: Readonly<Record<SkipReason, number>>
  readonly executed: number
  readonly p50Millis: number
  readonly p90Millis: number
  readonly maxMillis: number
  readonly budgetUnits: number
}

/**
 * The summary of one run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunSummary {
  readonly runId: string
  readonly targets: Readonly<Record<TerminalState | "total", number>>
  readonly steps: ReadonlyArray<StepStats>
  /** Units committed per budget name. */
  readonly budgets: Readonly<Record<string, number>>
  readonly startedAtMillis: number
  readonly finishedAtMillis: number
  readonly wallMillis: number
}

/**
 * The value at quantile `q` (0..1) of ascending `sorted` values, by nearest
 * rank; 0 for no values.
 *
 * @since 0.1.0
 * @category utils
 */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!

class StepAccumulator {
  succeeded = 0
  restored = 0
  failed = 0
  skipped: Record<SkipReason, number> = { disabled: 0, budget: 0, cached: 0, upstream: 0 }
  budgetUnits = 0
  durations = new Float64Array(64)
  executed = 0
  constructor(readonly step: string) {}

  add(o: Outcome<unknown, unknown>, budgets: Record<string, number>) {
    if (o._tag === "Skipped") {
      this.skipped[o.reason]++
      return
    }
    if (o._tag === "Succeeded") {
      if (o.restored) {
        this.restored++
        return
      }
      this.succeeded++
    } else {
      this.failed++
    }
    // a failed step's draw counts too: what it committed was spent
    if (o.budget) {
      this.budgetUnits += o.budget.units
      budgets[o.budget.name] = (budgets[o.budget.name] ?? 0) + o.budget.units
    }
    if (this.executed === this.durations.length) {
      const grown = new Float64Array(this.durations.length * 2)
      grown.set(this.durations)
      this.durations = grown
    }
    this.durations[this.executed++] = o.durationMillis
  }

  stats(): StepStats {
    const sorted = this.durations.slice(0, this.executed).sort()
    return {
      step: this.step,
      succeeded: this.succeeded,
      restored: this.restored,
      failed: this.failed,
      skipped: { ...this.skipped },
      executed: this.executed,
      p50Millis: quantile(sorted, 0.5),
      p90Millis: quantile(sorted, 0.9),
      maxMillis: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
      budgetUnits: this.budgetUnits
    }
  }
}

/**
 * A mutable accumulator for one run's summary. Owned by whoever runs the
 * graph; not shared between runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Accumulator {
  /** Adds one target's terminal state and step outcomes (in the graph's step order). */
  readonly add: (state: TerminalState, outcomes: ReadonlyArray<Outcome<unknown, unknown>>) => void
  /** The summary so far, stamped with the finish time. */
  readonly finish: (finishedAtMillis: number) => RunSummary
}

/**
 * Starts an accumulator for a run over steps with these names (in graph
 * order).
 *
 * @since 0.1.0
 * @category constructors
 */
export const accumulator = (runId: string, steps: ReadonlyArray<string>, startedAtMillis: number): Accumulator => {
  const perStep = steps.map((s) => new StepAccumulator(s))
  const targets = { total: 0, succeeded: 0, partial: 0, failed: 0 }
  const budgets: Record<string, number> = {}
  return {
    add: (state, outcomes) => {
      targets.total++
      targets[state]++
      outcomes.forEach((o, i) => perStep[i]!.add(o, budgets))
    },
    finish: (finishedAtMillis) => ({
      runId,
      targets: { ...targets },
      steps: perStep.map((s) => s.stats()),
      budgets: { ...budgets },
      startedAtMillis,
      finishedAtMillis,
      wallMillis: finishedAtMillis - startedAtMillis
    })
  }
}
