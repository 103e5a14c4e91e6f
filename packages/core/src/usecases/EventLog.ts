/**
 * A sink that turns the engine's events into structured log lines: one debug
 * line per finished step, one info line per finished target, and info lines
 * when a run starts and ends. Pair it with a JSON logger (the runner's
 * `Logging.layer`) for JSON lines when stdout is not a terminal.
 *
 * @since 0.1.0
 */
import type * as Events from "../engine/Events.js"
import * as RunOutcome from "./RunOutcome.js"
import { Effect } from "effect"

const defined = (fields: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))

/**
 * A sink logging each event with its fields as annotations, plus the given
 * annotations (for example the tenant). `StepFinished` is logged at debug
 * level with `runId`, `targetId`, `step`, `outcome`, `reason`,
 * `durationMillis`, `restored`, `budget` and, for a failure, `errorTag` and
 * `errorMessage` (never the error object); `TargetFinished`, `RunStarted`
 * and `RunFinished` at info level. `StepStarted` is not logged.
 *
 * @since 0.1.0
 * @category sinks
 */
export const sink = (annotations: Record<string, string> = {}): Events.Sink => (event) => {
  switch (event._tag) {
    case "RunStarted":
      return Effect.logInfo("run started").pipe(Effect.annotateLogs({ ...annotations, runId: event.runId }))
    case "StepStarted":
      return Effect.void
    case "StepFinished":
      return Effect.logDebug("step finished").pipe(Effect.annotateLogs(defined({
        ...annotations,
        runId: event.runId,
        targetId: event.targetId,
        step: event.step,
        outcome: event.outcome,
        reason: event.reason,
        durationMillis: event.durationMillis,
        restored: event.restored,
        budget: event.budget === undefined ? undefined : { name: event.budget.name, units: event.budget.units },
        ...(event.outcome === "Failed" ? RunOutcome.describeError(event.error) : {})
      })))
    case "TargetFinished":
      return Effect.logInfo("target finished").pipe(Effect.annotateLogs({
        ...annotations,
        runId: event.runId,
        targetId: event.targetId,
        state: event.state,
        durationMillis: event.durationMillis
      }))
    case "RunFinished": {
      const { summary } = event
      return Effect.logInfo("run finished").pipe(Effect.annotateLogs({
        ...annotations,
        runId: event.runId,
        targets: { ...summary.targets },
        budgets: { ...summary.budgets },
        wallMillis: summary.wallMillis
      }))
    }
  }
}
