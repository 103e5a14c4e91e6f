/**
 * The machinery behind `Engine`: per-target scheduling over worker fibers,
 * and the run as a stream, a summary or a plan. The run's context is in
 * `context.ts`, one step's execution in `step.ts`.
 *
 * @internal
 */
import { Chunk, Effect, Mailbox, Option, Predicate, Stream } from "effect"
import type { Tracer } from "effect"
import { CheckpointFailed, currentRunId } from "../Checkpoint.js"
import * as Metrics from "../Metrics.js"
import { hasOutput, terminalState } from "../Outcome.js"
import * as RunSummary from "../RunSummary.js"
import * as BranchPool from "./branchPool.js"
import { type Context, millisSince } from "./context.js"
import type * as Step from "../Step.js"
import { type AnyOutcome, execute, restoreCheckpoint, restored, skipped } from "./step.js"

export { type Context, prepare, type RunOptions } from "./context.js"

/**
 * What one target's steps share while they run: their outcomes, and whether
 * the target stopped because a checkpoint could not be written.
 */
interface TargetState {
  readonly outcomes: Array<AnyOutcome>
  halted: boolean
}

/** Decides and runs one step of one target, recording its outcome. */
const runStep = (
  ctx: Context,
  i: number,
  target: unknown,
  targetId: string,
  state: TargetState,
  span: Tracer.Span | undefined
): Effect.Effect<void, never, unknown> => {
  const { graph } = ctx
  const { outcomes } = state
  const step = graph.steps[i]!
  const input: Record<string, unknown> = { target }
  let upstreamMissing = false
  // the needs this step runs without: its checkpoint is kept for that case only
  const without: Array<string> = []
  for (const [key, j] of graph.needs[i]!) {
    const o = outcomes[j]!
    const absent = graph.steps[j]!.dependants === "absent"
    if (hasOutput(o)) input[key] = absent ? Option.some(o.output) : o.output
    else if (absent) {
      input[key] = Option.none()
      without.push(key)
    } else upstreamMissing = true
  }
  let decided: Effect.Effect<AnyOutcome, never, unknown>
  if (state.halted) {
    // The target stopped: a checkpoint of it could not be written.
    decided = Effect.succeed(skipped("upstream"))
  } else if (ctx.disabled[i]) {
    decided = Effect.map(restoreCheckpoint(ctx, i, targetId, without), Option.match({ onNone: () => skipped("disabled"), onSome: restored }))
  } else if (upstreamMissing) {
    decided = Effect.succeed(skipped("upstream"))
  } else if (Option.isSome(ctx.checkpoint)) {
    decided = Effect.flatMap(restoreCheckpoint(ctx, i, targetId, without), Option.match({ onNone: () => execute(ctx, i, input, targetId, without), onSome: (o) => Effect.succeed(restored(o)) }))
  } else {
    decided = execute(ctx, i, input, targetId, without)
  }
  const traced = span === undefined ? decided : Effect.withSpan(
    Effect.tap(decided, (outcome) => Effect.annotateCurrentSpan(stepAttributes(outcome))),
    "step",
    { parent: span, attributes: { "step.name": step.name } }
  )
  return Effect.flatMap(traced, (outcome) => {
    outcomes[i] = outcome
    if (outcome._tag === "Failed" && outcome.error instanceof CheckpointFailed) state.halted = true
    if (ctx.publish === undefined) return Effect.void
    return ctx.publish({
      _tag: "StepFinished",
      runId: ctx.runId,
      targetId,
      step: step.name,
      outcome: outcome._tag,
      reason: outcome._tag === "Skipped" ? outcome.reason : undefined,
      restored: outcome._tag === "Succeeded" && outcome.restored,
      durationMillis: outcome.durationMillis,
      budget: outcome._tag === "Skipped" ? undefined : outcome.budget,
      error: outcome._tag === "Failed" ? outcome.error : undefined
    })
  })
}

/** A step span's attributes once its outcome is known: no secrets, only tags and reasons. */
const stepAttributes = (outcome: AnyOutcome): Record<string, unknown> => {
  switch (outcome._tag) {
    case "Succeeded":
      return { "step.status": outcome.restored ? "restored" : "succeeded" }
    case "Skipped":
      return { "step.status": "skipped", "step.reason": outcome.reason }
    case "Failed":
      return { "step.status": "failed", "step.reason": Metrics.errorReason(outcome.error), "step.error": errorTag(outcome.error) }
  }
}

const errorTag = (error: unknown): string =>
  Predicate.hasProperty(error, "_tag") && typeof error._tag === "string"
    ? error._tag
    : error instanceof Error
    ? error.name
    : "error"

/** @internal */
export interface RawResult {
  readonly target: unknown
  readonly targetId: string
  readonly state: ReturnType<typeof terminalState>
  readonly outcomes: ReadonlyArray<AnyOutcome>
  readonly durationMillis: number
}

/**
 * Runs every step of one target. Each finished step starts the dependants it
 * made ready: the first in its own fiber, the others on the branch pool. The
 * target ends when its last step has an outcome.
 */
const runTarget = (ctx: Context, pool: BranchPool.BranchPool, target: unknown): Effect.Effect<RawResult, never, unknown> =>
  Effect.suspend(() => {
    const targetId = ctx.targetId(target)
    // the steps run in this fiber and on the branch pool's: each names the target's span as its parent
    if (!ctx.traced) return runTargetIn(ctx, pool, target, targetId, undefined)
    return Effect.useSpan(ctx.targetSpan, { attributes: ctx.targetAttributes(target, targetId) }, (span) =>
      runTargetIn(ctx, pool, target, targetId, span))
  })

const runTargetIn = (
  ctx: Context,
  pool: BranchPool.BranchPool,
  target: unknown,
  targetId: string,
  span: Tracer.Span | undefined
): Effect.Effect<RawResult, never, unknown> =>
  Effect.suspend(() => {
    const { graph } = ctx
    const startMillis = ctx.clock.unsafeCurrentTimeMillis()
    const state: TargetState = { outcomes: new Array<AnyOutcome>(graph.steps.length), halted: false }
    const { outcomes } = state
    const waiting = ctx.needCounts.slice()
    let unfinished = graph.steps.length
    // Completed by whichever fiber finishes the last step (a Deferred would
    // do, but allocating one per target costs more than the steps).
    let wake: ((done: Effect.Effect<void>) => void) | undefined
    const allDone = Effect.suspend(() =>
      unfinished === 0 ? Effect.void : Effect.async<void>((resume) => {
        wake = resume
      })
    )
    const runOne = (i: number): Effect.Effect<void, never, unknown> =>
      Effect.flatMap(runStep(ctx, i, target, targetId, state, span), () => {
        if (--unfinished === 0 && wake !== undefined) wake(Effect.void)
        const ready: Array<number> = []
        for (const d of graph.dependants[i]!) if (--waiting[d]! === 0) ready.push(d)
        return runReady(ready)
      })
    const runReady = (ready: ReadonlyArray<number>): Effect.Effect<void, never, unknown> => {
      if (ready.length === 0) return Effect.void
      if (ready.length === 1) return runOne(ready[0]!)
      return Effect.zipRight(
        Effect.forEach(ready.slice(1), (i) => pool.dispatch(runOne(i)), { discard: true }),
        runOne(ready[0]!)
      )
    }
    return runReady(graph.roots).pipe(
      Effect.zipRight(allDone),
      Effect.flatMap(() => {
        const result: RawResult = {
          target,
          targetId,
          // a target whose progress could not be recorded has failed, whatever else succeeded
          state: state.halted ? "failed" : terminalState(outcomes),
          outcomes,
          durationMillis: millisSince(ctx.clock, startMillis)
        }
        span?.attribute("outcome", result.state)
        if (ctx.publish === undefined) return Effect.succeed(result)
        return Effect.as(
          ctx.publish({
            _tag: "TargetFinished",
            runId: ctx.runId,
            targetId,
            state: result.state,
            durationMillis: result.durationMillis
          }),
          result
        )
      })
    )
  })

const toResult = (ctx: Context, raw: RawResult) => {
  const outcomes: Record<string, AnyOutcome> = {}
  ctx.graph.steps.forEach((s, i) => (outcomes[s.name] = raw.outcomes[i]!))
  return { runId: ctx.runId, ...raw, outcomes }
}

/**
 * Runs targets on `concurrency` worker fibers that pull from the stream one
 * target at a time (one fiber per worker, not per target: forks are costly).
 * Every step runs with `Checkpoint.currentRunId` set to the run's id.
 */
const runWorkers = <E, R>(
  ctx: Context,
  targets: Stream.Stream<unknown, E, R>,
  onResult: (raw: RawResult) => Effect.Effect<void>
): Effect.Effect<void, E, R> =>
  Effect.scoped(Effect.gen(function*() {
    const pool = yield* BranchPool.make(ctx.concurrency * ctx.maxBranches)
    const pull = yield* Stream.toPull(targets)
    const lock = yield* Effect.makeSemaphore(1)
    let buffer: ReadonlyArray<unknown> = []
    let index = 0
    let done = false
    const refill: Effect.Effect<Option.Option<unknown>, E, R> = lock.withPermits(1)(Effect.suspend(() => {
      if (index < buffer.length) return Effect.succeed(Option.some(buffer[index++]))
      if (done) return Effect.succeedNone
      return Effect.matchEffect(pull, {
        onFailure: Option.match({
          onNone: () => Effect.sync(() => (done = true, Option.none())),
          onSome: (e) => Effect.fail(e)
        }),
        onSuccess: (chunk) => Effect.suspend(() => {
          buffer = Chunk.toReadonlyArray(chunk)
          index = 0
          return index < buffer.length ? Effect.succeed(Option.some(buffer[index++])) : Effect.succeedNone
        })
      })
    }))
    const next = Effect.suspend(() => index < buffer.length ? Effect.succeed(Option.some(buffer[index++])) : refill)
    const worker: Effect.Effect<void, E, R> = Effect.flatMap(next, Option.match({
      onNone: () => Effect.void,
      onSome: (target) =>
        Effect.zipRight(Effect.flatMap(runTarget(ctx, pool, target), onResult) as Effect.Effect<void, never, R>, worker)
    }))
    yield* Effect.all(Array.from({ length: ctx.concurrency }, () => worker), { concurrency: "unbounded", discard: true })
  }).pipe(Effect.locally(currentRunId, Option.some(ctx.runId))))

/** @internal */
export const stream = <E, R>(ctx: Context, targets: Stream.Stream<unknown, E, R>) =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const mailbox = yield* Mailbox.make<ReturnType<typeof toResult>, E>(ctx.concurrency)
    yield* Effect.forkScoped(
      Effect.exit(runWorkers(ctx, targets, (raw) => Effect.asVoid(mailbox.offer(toResult(ctx, raw))))).pipe(
        Effect.flatMap((exit) => mailbox.done(exit))
      )
    )
    return Mailbox.toStream(mailbox)
  }))

/** @internal */
export const runAll = <E, R>(ctx: Context, targets: Stream.Stream<unknown, E, R>) =>
  Effect.gen(function*() {
    const startedAt = yield* ctx.clock.currentTimeMillis
    if (ctx.publish) yield* ctx.publish({ _tag: "RunStarted", runId: ctx.runId, atMillis: startedAt })
    const acc = RunSummary.accumulator(ctx.runId, ctx.graph.steps.map((s) => s.name), startedAt)
    yield* runWorkers(ctx, targets, (raw) => Effect.sync(() => acc.add(raw.state, raw.outcomes)))
    const summary = acc.finish(yield* ctx.clock.currentTimeMillis)
    if (ctx.publish) yield* ctx.publish({ _tag: "RunFinished", runId: ctx.runId, summary })
    return summary
  })

/** A step's planned draw: its fixed units, else its estimate (none: unknown). */
const estimateOf = (
  draw: NonNullable<Step.Any["budget"]>,
  target: unknown
): Effect.Effect<{ readonly units: number | undefined; readonly calls: number | undefined }> => {
  const of = (e: Step.Estimate) =>
    typeof e === "number" ? { units: e, calls: e > 0 ? 1 : 0 } : { units: e.units, calls: e.calls }
  if (draw.estimate !== undefined) {
    return Effect.suspend(() => {
      const e = draw.estimate!(target)
      return typeof e === "object" && Effect.isEffect(e) ? Effect.map(e, of) : Effect.succeed(of(e))
    })
  }
  return Effect.succeed(typeof draw.units === "number" ? of(draw.units) : { units: undefined, calls: undefined })
}

/** @internal */
export const plan = <E, R>(ctx: Context, targets: Stream.Stream<unknown, E, R>) =>
  Stream.mapEffect(targets, (target) =>
    Effect.gen(function*() {
      const targetId = ctx.targetId(target)
      const { graph } = ctx
      const planned = new Array<{
        step: string
        action: "run" | "disabled" | "upstream" | "restored"
        budget: { name: string; units: number | undefined; calls: number | undefined } | undefined
      }>(graph.steps.length)
      for (let i = 0; i < graph.steps.length; i++) {
        const step = graph.steps[i]!
        const wasRestored = Option.isSome(yield* restoreCheckpoint(ctx, i, targetId))
        const blocked = graph.needs[i]!.some(([, j]) =>
          (planned[j]!.action === "disabled" || planned[j]!.action === "upstream") && graph.steps[j]!.dependants === "skip"
        )
        const action = wasRestored ? "restored" : ctx.disabled[i] ? "disabled" : blocked ? "upstream" : "run"
        const draw = step.budget
        planned[i] = {
          step: step.name,
          action,
          budget: draw === undefined ? undefined : {
            name: draw.name,
            ...(yield* estimateOf(draw, target))
          }
        }
      }
      return { runId: ctx.runId, target, targetId, steps: planned }
    }))
