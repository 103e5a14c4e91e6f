/**
 * The machinery behind `Engine`: per-run context, per-target scheduling and
 * per-step execution.
 *
 * @internal
 */
import type { Clock } from "effect"
import { Cause, Chunk, Duration, Effect, Either, Mailbox, Option, ParseResult, Schema, Stream } from "effect"
import { Budget, BudgetExhausted } from "../Budget.js"
import { Checkpoint } from "../Checkpoint.js"
import { GraphError, StepDefect, StepTimeout } from "../Errors.js"
import { EventSink } from "../Events.js"
import type * as Events from "../Events.js"
import type * as Graph from "../Graph.js"
import type { Outcome } from "../Outcome.js"
import { hasOutput, terminalState } from "../Outcome.js"
import * as Retry from "../Retry.js"
import * as RunSummary from "../RunSummary.js"
import type * as Step from "../Step.js"
import * as BranchPool from "./branchPool.js"
import * as KeyedLimiter from "./keyedLimiter.js"

type AnyOutcome = Outcome<unknown, unknown>

/** @internal */
export interface RunOptions {
  readonly runId: string
  readonly concurrency?: number | undefined
  readonly skip?: Iterable<string> | undefined
  readonly only?: Iterable<string> | undefined
  readonly targetId?: ((target: never) => string) | undefined
}

/** @internal */
export interface Context {
  readonly runId: string
  readonly graph: Graph.Any
  readonly concurrency: number
  readonly disabled: ReadonlyArray<boolean>
  readonly needCounts: ReadonlyArray<number>
  /** Steps with no policy to apply, in a run with no checkpoint store and no sink. */
  readonly plain: ReadonlyArray<boolean>
  /** Branches one target may have in flight beside its own fiber. */
  readonly maxBranches: number
  readonly targetId: (target: unknown) => string
  readonly clock: Clock.Clock
  readonly budget: Option.Option<Budget["Type"]>
  readonly checkpoint: Option.Option<Checkpoint["Type"]>
  readonly publish: Events.Sink | undefined
  readonly keys: KeyedLimiter.KeyedLimiter
  readonly codecs: ReadonlyArray<{
    readonly encode: (a: unknown) => Effect.Effect<unknown, ParseResult.ParseError>
    readonly decode: (u: unknown) => Effect.Effect<unknown, ParseResult.ParseError>
  }>
}

const defaultTargetId = (target: unknown): string => {
  if (typeof target === "string") return target
  if (typeof target === "number" || typeof target === "bigint") return String(target)
  if (typeof target === "object" && target !== null && "id" in target) return String(target.id)
  return JSON.stringify(target)
}

// Milliseconds from the Clock (TestClock in tests): vendor calls take tens of
// milliseconds or more, and reading nanoseconds allocates a BigInt per read.
const millisSince = (clock: Clock.Clock, startMillis: number): number => clock.unsafeCurrentTimeMillis() - startMillis

/** @internal */
export const prepare = (graph: Graph.Any, options: RunOptions): Effect.Effect<Context, GraphError> =>
  Effect.gen(function*() {
    const concurrency = options.concurrency ?? 10
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      return yield* new GraphError({ reason: "InvalidOption", steps: [], detail: "concurrency must be a positive integer" })
    }
    const names = (it: Iterable<string> | undefined) => new Set(it ?? [])
    const skip = names(options.skip)
    const only = options.only === undefined ? undefined : names(options.only)
    const unknown = [...skip, ...(only ?? [])].filter((n) => !graph.index.has(n))
    if (unknown.length > 0) {
      return yield* new GraphError({
        reason: "UnknownStep",
        steps: unknown,
        detail: `no step named ${unknown.map((n) => `"${n}"`).join(", ")} in the graph`
      })
    }
    const clock = yield* Effect.clock
    const budget = yield* Effect.serviceOption(Budget)
    const checkpoint = yield* Effect.serviceOption(Checkpoint)
    const sink = yield* Effect.serviceOption(EventSink)
    return {
      runId: options.runId,
      graph,
      concurrency,
      disabled: graph.steps.map((s) => skip.has(s.name) || (only !== undefined && !only.has(s.name))),
      needCounts: graph.needs.map((ns) => new Set(ns.map(([, j]) => j)).size),
      maxBranches: Math.max(0, graph.steps.length - 1),
      plain: graph.steps.map((s) =>
        Option.isNone(checkpoint) && Option.isNone(sink) && s.budget === undefined && s.key === undefined &&
        s.timeout === undefined && s.retry === undefined && s.cacheKey === undefined
      ),
      // The public Options<T> tie targetId to the graph's target type.
      targetId: (options.targetId as ((target: unknown) => string) | undefined) ?? defaultTargetId,
      clock,
      budget,
      checkpoint,
      publish: Option.isSome(sink) ? sink.value.publish : undefined,
      keys: KeyedLimiter.make(),
      codecs: graph.steps.map((s) => ({
        encode: Schema.encodeUnknown(s.output),
        decode: Schema.decodeUnknown(s.output)
      }))
    } satisfies Context
  })

const skipped = (reason: "disabled" | "budget" | "cached" | "upstream", output?: unknown, durationMillis = 0): AnyOutcome => ({
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

const save = (ctx: Context, step: Step.Any, targetId: string, cacheKey: string | undefined, encoded: unknown) => {
  const cp = (ctx.checkpoint as Option.Some<Checkpoint["Type"]>).value
  const saves = cp.save({ runId: ctx.runId, targetId, step: step.name }, encoded).pipe(
    Effect.zipRight(cacheKey === undefined ? Effect.void : cp.saveCached(step.name, cacheKey, encoded))
  )
  return Effect.catchAll(saves, (cause) => Effect.logWarning(`could not checkpoint step "${step.name}"`, cause))
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

/** Runs a ready step whose inputs are available; fails only by interruption. */
const execute = (
  ctx: Context,
  i: number,
  input: Record<string, unknown>,
  targetId: string
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
  let used: { name: string; units: number } | undefined
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
      const units = typeof draw.units === "number" ? draw.units : draw.units(input as never)
      if (!(Number.isFinite(units) && units >= 0)) {
        return Effect.die(new RangeError(`step "${step.name}" asked budget "${draw.name}" for ${units} units`))
      }
      const run = self
      self = Option.match(ctx.budget, {
        onNone: () => Effect.fail(new BudgetExhausted({ budget: draw.name, requested: units, reason: "unavailable" })),
        onSome: (budget) =>
          Effect.acquireUseRelease(budget.reserve(draw.name, units), () => run, (reservation, exit) => {
            if (exit._tag === "Failure") return budget.release(reservation)
            let units = reservation.units
            try {
              if (draw.used) units = draw.used(exit.value)
            } catch (defect) {
              // A throwing `used` is the step's bug: the call happened, so what
              // was reserved is committed, and the step fails as a defect.
              return Effect.zipRight(budget.commit(reservation, reservation.units), Effect.die(defect))
            }
            used = { name: draw.name, units }
            return budget.commit(reservation, units)
          })
      })
    }
    return step.key === undefined ? self : ctx.keys.withKey(`${step.keyScope}\u0000${step.key(input as never)}`, step.keyLimit, self)
  })
  const onFailure = (cause: Cause.Cause<unknown>) => notSucceeded(step, cause, millisSince(ctx.clock, startMillis))
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
          return ctx.codecs[i]!.encode(output).pipe(
            Effect.flatMap((encoded) => save(ctx, step, targetId, cacheKey, encoded)),
            Effect.as(outcome),
            Effect.catchAll((cause) =>
              Effect.succeed<AnyOutcome>({
                _tag: "Failed",
                error: new StepDefect({ step: step.name, cause }),
                durationMillis: outcome.durationMillis
              })
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

const restoreCheckpoint = (ctx: Context, i: number, targetId: string) =>
  Option.isNone(ctx.checkpoint)
    ? Effect.succeedNone
    : restore(ctx, i, ctx.checkpoint.value.load({ runId: ctx.runId, targetId, step: ctx.graph.steps[i]!.name }))

const restored = (output: unknown): AnyOutcome => ({
  _tag: "Succeeded",
  output,
  restored: true,
  durationMillis: 0,
  budget: undefined
})

/** Decides and runs one step of one target, recording its outcome. */
const runStep = (
  ctx: Context,
  i: number,
  target: unknown,
  targetId: string,
  outcomes: Array<AnyOutcome>
): Effect.Effect<void, never, unknown> => {
  const { graph } = ctx
  const step = graph.steps[i]!
  const input: Record<string, unknown> = { target }
  let upstreamMissing = false
  for (const [key, j] of graph.needs[i]!) {
    const o = outcomes[j]!
    const absent = graph.steps[j]!.dependants === "absent"
    if (hasOutput(o)) input[key] = absent ? Option.some(o.output) : o.output
    else if (absent) input[key] = Option.none()
    else upstreamMissing = true
  }
  let decided: Effect.Effect<AnyOutcome, never, unknown>
  if (ctx.disabled[i]) {
    decided = Effect.map(restoreCheckpoint(ctx, i, targetId), Option.match({ onNone: () => skipped("disabled"), onSome: restored }))
  } else if (upstreamMissing) {
    decided = Effect.succeed(skipped("upstream"))
  } else if (Option.isSome(ctx.checkpoint)) {
    decided = Effect.flatMap(restoreCheckpoint(ctx, i, targetId), Option.match({ onNone: () => execute(ctx, i, input, targetId), onSome: (o) => Effect.succeed(restored(o)) }))
  } else {
    decided = execute(ctx, i, input, targetId)
  }
  return Effect.flatMap(decided, (outcome) => {
    outcomes[i] = outcome
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
      budget: outcome._tag === "Succeeded" ? outcome.budget : undefined,
      error: outcome._tag === "Failed" ? outcome.error : undefined
    })
  })
}

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
    const { graph } = ctx
    const targetId = ctx.targetId(target)
    const startMillis = ctx.clock.unsafeCurrentTimeMillis()
    const outcomes = new Array<AnyOutcome>(graph.steps.length)
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
      Effect.flatMap(runStep(ctx, i, target, targetId, outcomes), () => {
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
          state: terminalState(outcomes),
          outcomes,
          durationMillis: millisSince(ctx.clock, startMillis)
        }
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
  }))

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

/** @internal */
export const plan = <E, R>(ctx: Context, targets: Stream.Stream<unknown, E, R>) =>
  Stream.mapEffect(targets, (target) =>
    Effect.gen(function*() {
      const targetId = ctx.targetId(target)
      const { graph } = ctx
      const planned = new Array<{ step: string; action: "run" | "disabled" | "upstream" | "restored"; budget: { name: string; units: number | undefined } | undefined }>(graph.steps.length)
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
            units: typeof draw.units === "number" ? draw.units : draw.estimate?.(target)
          }
        }
      }
      return { runId: ctx.runId, target, targetId, steps: planned }
    }))
