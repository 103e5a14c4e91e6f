/**
 * What a run records as its companies finish: each company's outcome (in
 * batches), the run's summary with per-step totals, its failures by code,
 * and at the end its status and its budgets against their caps.
 *
 * @internal
 */
import { Chunk, Clock, Effect, Option, Schedule } from "effect"
import * as Budget from "../../engine/Budget.js"
import * as RunSummary from "../../engine/RunSummary.js"
import * as Pipeline from "../../enrichment/Pipeline.js"
import type * as Run from "../../enrichment/Run.js"
import type * as Store from "../../enrichment/Store.js"
import type { BudgetUse } from "../EnrichmentRun.js"
import * as RunOutcome from "../RunOutcome.js"

/** A run's recorder, owned by that run. */
export interface Recorder {
  /** Records a batch of finished companies. */
  readonly record: (batch: Chunk.Chunk<RunOutcome.RecordedResult>) => Effect.Effect<void, Store.StoreError>
  /** The run's summary as of now. */
  readonly summary: Effect.Effect<RunSummary.RunSummary>
  /** Closes the run with a status (and an error summary); the summary as closed. */
  readonly finish: (
    status: Run.RunSummary["status"],
    errorSummary: string | null
  ) => Effect.Effect<RunSummary.RunSummary, Store.StoreError>
  readonly failures: RunOutcome.FailureTally
}

/** A recorder for the run `runId` of the tenant, started at `startedAt`. */
/**
 * A write of the run's records tried again while the store is unavailable
 * (Postgres restarting, a lost connection), backing off up to every 5
 * seconds, for up to 2 minutes: a run's companies are not lost to a short
 * outage. A write that fails is rolled back, so trying it again is safe.
 */
const untilReachable = <A>(write: Effect.Effect<A, Store.StoreError>): Effect.Effect<A, Store.StoreError> =>
  write.pipe(
    Effect.tapError((e) =>
      e.reason === "Unavailable"
        ? Effect.logWarning(`the store could not be reached to record the run; trying again: ${e.message}`)
        : Effect.void
    ),
    Effect.retry({
      while: (e) => e.reason === "Unavailable",
      schedule: Schedule.exponential("200 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.upTo("2 minutes"))
    })
  )

export const make = (tenant: Store.TenantStore, runId: Run.RunId, startedAt: number): Recorder => {
  const accumulator = RunSummary.accumulator(runId, Pipeline.stepNames, startedAt)
  const totals = new Map<string, number>()
  const failures = RunOutcome.tally()
  const summary = Effect.map(Clock.currentTimeMillis, (now) => accumulator.finish(now))
  return {
    failures,
    summary,
    record: (batch) =>
      Effect.flatMap(Clock.currentTimeMillis, (millis) => {
        const now = new Date(millis)
        const outcomes = Chunk.toReadonlyArray(batch).map((r) => {
          const list = Object.values(r.outcomes)
          accumulator.add(r.state, list)
          Pipeline.stepNames.forEach((name, i) => totals.set(name, (totals.get(name) ?? 0) + (list[i]?.durationMillis ?? 0)))
          return RunOutcome.companyOutcome(r, now, failures)
        })
        return untilReachable(tenant.runs.recordOutcomes(runId, outcomes))
      }),
    finish: (status, errorSummary) =>
      Effect.flatMap(summary, (s) =>
        Effect.as(
          untilReachable(tenant.runs.finish(runId, {
            status,
            finishedAt: new Date(s.finishedAtMillis),
            steps: RunOutcome.stepStats(s, totals),
            errorSummary,
            // what this attempt's draws committed (restored steps drew nothing)
            spend: s.budgets
          })),
          s
        ))
  }
}

/** Each capped budget's use on the run day (committed units), against its cap. */
export const budgetUse = (
  caps: Readonly<Record<string, number>>
): Effect.Effect<Record<string, BudgetUse>, never, Budget.Budget> =>
  Effect.flatMap(Budget.Budget, (budget) =>
    Effect.map(
      Effect.forEach(Object.entries(caps), ([name, cap]) =>
        Effect.map(Effect.option(budget.usage(name)), (use): readonly [string, BudgetUse] => [
          name,
          Option.match(use, {
            onNone: () => ({ used: 0, cap }),
            onSome: (u) => ({ used: u.committed, cap, inFlightAtCrash: u.inFlightAtCrash })
          })
        ])),
      Object.fromEntries
    ))
