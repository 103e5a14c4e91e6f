/**
 * One step of one target: restore it from its checkpoint or cache, or run
 * its handler under its policy (key, budget, timeout, retries) and write its
 * checkpoint, retried, before it counts as succeeded.
 *
 * @internal
 */
import { Cause, Duration, Effect, Either, Option } from "effect"
import { BudgetExhausted, drawFrom } from "../Budget.js"
import { type Checkpoint, CheckpointFailed, saveRetry } from "../Checkpoint.js"
import { StepDefect, StepTimeout } from "../Errors.js"
import type { BudgetUse, Outcome } from "../Outcome.js"
import * as Retry from "../Retry.js"
import type * as Step from "../Step.js"
import { type Context, millisSince } from "./context.js"

/** @internal */
export type AnyOutcome = Outcome<unknown, unknown>

/** @internal */
export const skipped = (reason: "disabled" | "budget" | "cached" | "upstream", output?: unknown, durationMillis = 0): AnyOutcome => ({
  _tag: "Skipped",
  reason,
  output,
  durationMillis
})

/** Loads and decodes a checkpoint or cache entry; a broken entry counts as none. */
const restore = (
  ctx: Context,
  i: number,
  load: Effect.Effect<Option.Option<unknown>, unknown>
): Effect.Effect<Option.Option<unknown>> =>
  load.pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeedNone,
      onSome: (encoded) => Effect.asSome(ctx.codecs[i]!.decode(encoded))
    })),
    Effect.catchAll((cause) =>
      Effect.as(Effect.logWarning(`could not restore step "${ctx.graph.steps[i]!.name}"; running it`, cause), Option.none())
    )
  )

/**
 * Writes a step's checkpoint (and cache entry), retried on {@link saveRetry};
 * fails with {@link CheckpointFailed} when every attempt failed.
 */
const save = (
  ctx: Context,
  step: Step.Any,
  targetId: string,
  cacheKey: string | undefined,
  encoded: unknown,
  absent: ReadonlyArray<string>
): Effect.Effect<void, CheckpointFailed> => {
  const cp = (ctx.checkpoint as Option.Some<Checkpoint["Type"]>).value
  let attempts = 0
  const once = Effect.suspend(() => {
    attempts++
    return cp.save({ runId: ctx.runId, targetId, step: checkpointStep(step.name, absent) }, encoded).pipe(
      Effect.zipRight(cacheKey === undefined ? Effect.void : cp.saveCached(step.name, cacheKey, encoded))
    )
  })
  return Effect.retry(once, saveRetry).pipe(
    Effect.mapError((cause) => new CheckpointFailed({ step: step.name, targetId, attempts, cause })),
    Effect.tapError((error) => Effect.logWarning(error.message, error.cause))
  )
}

/** The handler with its timeout and retry schedule (defects are never retried). */
const attempt = (step: Step.Any, input: Record<string, unknown>): Effect.Effect<unknown, unknown, unknown> => {
  let self: Effect.Effect<unknown, unknown, unknown> = Effect.suspend(() => step.run(input as never))
  if (step.timeout !== undefined) {
    const duration = Duration.decode(step.timeout)
    self = Effect.timeoutFail(self, {
      duration,
      onTimeout: () => new StepTimeout({ step: step.name, timeoutMillis: Duration.toMillis(duration) })
    })
  }
  return step.retry === undefined ? self : Effect.retry(self, { schedule: step.retry, while: Retry.isRetryable })
}

/**
 * The outcome of a step that did not succeed: a budget skip for an
 * exhausted budget, its error, or a defect (including a throwing key, units
 * or cache-key function). Interruption is passed on, never recorded.
 */
const notSucceeded = (step: Step.Any, cause: Cause.Cause<unknown>, durationMillis: number): Effect.Effect<AnyOutcome> =>
  Either.match(Cause.failureOrCause(cause), {
    onLeft: (error) =>
      Effect.succeed(
        error instanceof BudgetExhausted
          ? skipped("budget", undefined, durationMillis)
          : { _tag: "Failed", error, durationMillis }
      ),
    onRight: (other) =>
      Cause.isInterruptedOnly(other)
        ? Effect.failCause(other) as Effect.Effect<never>
        : Effect.succeed({ _tag: "Failed", error: new StepDefect({ step: step.name, cause: Cause.squash(other) }), durationMillis })
  })

/** The units a step's draw asks for its input (a number, or an effect for it). */
const unitsOf = (draw: NonNullable<Step.Any["budget"]>, input: Record<string, unknown>): Effect.Effect<number, never, unknown> => {
  const of = draw.units
  return typeof of === "number" ? Effect.succeed(of) : Effect.suspend(() => {
    const units = of(input as never)
    return typeof units === "number" ? Effect.succeed(units) : units
  })
}

/**
 * Runs a ready step whose inputs are available; fails only by interruption.
 *
 * @internal
 */
export const execute = (
  ctx: Context,
  i: number,
  input: Record<string, unknown>,
  targetId: string,
  absent: ReadonlyArray<string> = []
): Effect.Effect<AnyOutcome, never, unknown> => {
  const step = ctx.graph.steps[i]!
  if (ctx.plain[i]) {
    // No policy, no checkpoint, no sink: just the handler, timed.
    let start = 0
    return Effect.matchCauseEffect(
      Effect.suspend(() => {
        start = ctx.clock.unsafeCurrentTimeMillis()
        return step.run(input as never)
      }),
      {
        onFailure: (cause) => notSucceeded(step, cause, ctx.clock.unsafeCurrentTimeMillis() - start),
        onSuccess: (output) =>
          Effect.succeed<AnyOutcome>({
            _tag: "Succeeded",
            output,
            restored: false,
            durationMillis: ctx.clock.unsafeCurrentTimeMillis() - start,
            budget: undefined
          })
      }
    )
  }
  // Durations cover the handler's attempts, not the wait for a key or a budget.
  let startMillis = ctx.clock.unsafeCurrentTimeMillis()
  let used: BudgetUse | undefined
  const started = Effect.suspend(() => {
    startMillis = ctx.clock.unsafeCurrentTimeMillis()
    return ctx.publish === undefined ? Effect.void : ctx.publish({
      _tag: "StepStarted",
      runId: ctx.runId,
      targetId,
      step: step.name,
      atMillis: startMillis
    })
  })
  const body = Effect.suspend(() => {
    let self = Effect.zipRight(started, attempt(step, input))
    const draw = step.budget
    if (draw !== undefined) {
      const run = self
      self = Option.match(ctx.budget, {
        onNone: () => Effect.fail(new BudgetExhausted({ budget: draw.name, requested: 0, reason: "unavailable" })),
        onSome: (budget) =>
          Effect.flatMap(unitsOf(draw, input), (units) =>
            units === 0 ? run : drawFrom(budget, draw.name, units, run, {
              used: draw.used,
              metered: draw.metered,
              settled: (committed, calls) => {
                used = { name: draw.name, units: committed, calls }
              }
            }))
      })
    }
    return step.key === undefined ? self : ctx.keys.withKey(`${step.keyScope}\u0000${step.key(input as never)}`, step.keyLimit, self)
  })
  // a failed step keeps what its draw committed: calls a vendor may have billed
  const onFailure = (cause: Cause.Cause<unknown>) =>
    Effect.map(
      notSucceeded(step, cause, millisSince(ctx.clock, startMillis)),
      (o): AnyOutcome => o._tag === "Failed" && used !== undefined ? { ...o, budget: used } : o
    )
  const succeeded = (output: unknown): AnyOutcome => ({
    _tag: "Succeeded",
    output,
    restored: false,
    durationMillis: millisSince(ctx.clock, startMillis),
    budget: used
  })
  if (Option.isNone(ctx.checkpoint)) {
    return Effect.matchCauseEffect(body, { onFailure, onSuccess: (output) => Effect.succeed(succeeded(output)) })
  }
  const cp = ctx.checkpoint.value
  const run = (cacheKey: string | undefined) =>
    // Once the handler has succeeded, its checkpoint is written even if the
    // run is being interrupted: a re-run must not pay for it again.
    Effect.uninterruptibleMask((restoreInterrupt) =>
      Effect.matchCauseEffect(restoreInterrupt(body), {
        onFailure,
        onSuccess: (output) => {
          const outcome = succeeded(output)
          // A checkpoint that cannot be written fails the step (CheckpointFailed):
          // counted as succeeded, a resume would run and pay for it again.
          return ctx.codecs[i]!.encode(output).pipe(
            Effect.mapError((cause) => new StepDefect({ step: step.name, cause })),
            Effect.flatMap((encoded) => save(ctx, step, targetId, cacheKey, encoded, absent)),
            Effect.as(outcome),
            Effect.catchAll((error) =>
              Effect.succeed<AnyOutcome>({ _tag: "Failed", error, durationMillis: outcome.durationMillis, budget: used })
            )
          )
        }
      })
    )
  if (step.cacheKey === undefined) return run(undefined)
  return Effect.matchCauseEffect(Effect.sync(() => step.cacheKey!(input as never)), {
    onFailure,
    onSuccess: (cacheKey) =>
      Effect.flatMap(
        restore(ctx, i, cp.loadCached(step.name, cacheKey)),
        Option.match({ onNone: () => run(cacheKey), onSome: (output) => Effect.succeed(skipped("cached", output)) })
      )
  })
}

/**
 * The name a step's checkpoint is kept under: the step's own when every need
 * gave an output, else with the needs it ran without (`verify~contacts`).
 * A checkpoint holds for the inputs it was made from: when a need that was
 * missing (failed, skipped for budget) succeeds in a resumed run, its
 * dependants run again rather than restore what they made without it.
 *
 * @internal
 */
export const checkpointStep = (name: string, absent: ReadonlyArray<string>): string =>
  absent.length === 0 ? name : `${name}~${[...absent].sort().join(",")}`

/** The step's checkpoint in this run for a target (made with the same needs missing), decoded, if any. @internal */
export const restoreCheckpoint = (ctx: Context, i: number, targetId: string, absent: ReadonlyArray<string> = []) =>
  Option.isNone(ctx.checkpoint)
    ? Effect.succeedNone
    : restore(
      ctx,
      i,
      ctx.checkpoint.value.load({ runId: ctx.runId, targetId, step: checkpointStep(ctx.graph.steps[i]!.name, absent) })
    )

/** The outcome of a step restored from its checkpoint. @internal */
export const restored = (output: unknown): AnyOutcome => ({
  _tag: "Succeeded",
  output,
  restored: true,
  durationMillis: 0,
  budget: undefined
})
