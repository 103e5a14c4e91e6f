/**
 * How one step ended for one target, and the terminal state of a target.
 *
 * @since 0.1.0
 */
import type { CheckpointFailed } from "./Checkpoint.js"
import type { StepDefect, StepTimeout } from "./Errors.js"

/**
 * Why a step was skipped: turned off by `skip`/`only` (`disabled`), its budget
 * could not cover it (`budget`), its output came from its cache (`cached`), or
 * a step it needs did not succeed (`upstream`).
 *
 * @since 0.1.0
 * @category models
 */
export type SkipReason = "disabled" | "budget" | "cached" | "upstream"

/**
 * What one step drew from a budget: the units committed and the paid calls
 * it made (metered calls; 0 when nothing in it was metered).
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetUse {
  readonly name: string
  readonly units: number
  readonly calls: number
}

/**
 * The step ran and succeeded, or (`restored`) its output was decoded from
 * this run's checkpoint without running it again.
 *
 * @since 0.1.0
 * @category models
 */
export interface Succeeded<A> {
  readonly _tag: "Succeeded"
  readonly output: A
  readonly restored: boolean
  readonly durationMillis: number
  readonly budget: BudgetUse | undefined
}

/**
 * The step did not run. A `cached` skip carries the cached output, which its
 * dependants receive as if the step had succeeded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Skipped<A> {
  readonly _tag: "Skipped"
  readonly reason: SkipReason
  readonly output: A | undefined
  readonly durationMillis: number
}

/**
 * The step failed with its typed error, a time-out, a defect, or (its
 * handler having succeeded) a checkpoint that could not be written.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failed<E> {
  readonly _tag: "Failed"
  readonly error: E | StepTimeout | StepDefect | CheckpointFailed
  readonly durationMillis: number
  /** What its draw committed: the paid calls made before it failed, which a vendor may have billed. */
  readonly budget?: BudgetUse | undefined
}

/**
 * One outcome per step per target.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome<A, E> = Succeeded<A> | Skipped<A> | Failed<E>

/**
 * A target's terminal state: `succeeded` when every step succeeded (or was
 * skipped as disabled or cached), `failed` when a step failed and none
 * succeeded, `partial` otherwise.
 *
 * @since 0.1.0
 * @category models
 */
export type TerminalState = "succeeded" | "partial" | "failed"

/**
 * True when dependants can read the outcome's output.
 *
 * @since 0.1.0
 * @category guards
 */
export const hasOutput = <A, E>(o: Outcome<A, E>): o is Succeeded<A> | (Skipped<A> & { readonly reason: "cached" }) =>
  o._tag === "Succeeded" || (o._tag === "Skipped" && o.reason === "cached")

/**
 * The terminal state of a target from its step outcomes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const terminalState = (outcomes: Iterable<Outcome<unknown, unknown>>): TerminalState => {
  let succeeded = 0
  let failed = 0
  let incomplete = 0
  for (const o of outcomes) {
    if (o._tag === "Succeeded") succeeded++
    else if (o._tag === "Failed") failed++
    else if (o.reason === "budget" || o.reason === "upstream") incomplete++
  }
  if (failed > 0 && succeeded === 0) return "failed"
  return failed === 0 && incomplete === 0 ? "succeeded" : "partial"
}
