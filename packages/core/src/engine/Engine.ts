/**
 * Runs a graph over a stream of targets. Targets are pulled lazily, at most
 * `concurrency` at a time; the independent steps of one target run in
 * parallel (a lone ready step runs inline, without a fiber of its own); per-key
 * limits hold across all targets. Every target ends in exactly one terminal
 * state with one outcome per step, and one target's failure never stops the
 * others. Interrupting a run interrupts its steps and gives their budget
 * reservations back.
 *
 * @since 0.1.0
 */
import type { Clock } from "effect"
import { Effect, Random, Stream } from "effect"
import type { Budget } from "./Budget.js"
import type { Checkpoint } from "./Checkpoint.js"
import type { GraphError } from "./Errors.js"
import type { EventSink } from "./Events.js"
import type * as Graph from "./Graph.js"
import * as Run from "./internal/run.js"
import type { Outcome, TerminalState } from "./Outcome.js"
import * as RunSummary from "./RunSummary.js"
import type * as Step from "./Step.js"

/**
 * Options of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<T> {
  /** Keys checkpoints; re-running a run id resumes it. Default: a fresh id. */
  readonly runId?: string
  /** Targets in flight at once (default 10). */
  readonly concurrency?: number
  /** Steps not to run (skipped with reason `disabled`). */
  readonly skip?: Iterable<string>
  /** When given, only these steps run; the others are `disabled`. */
  readonly only?: Iterable<string>
  /**
   * A stable id per target, for checkpoints and events. Default: the target
   * itself for strings and numbers, its `id` field for objects that have one,
   * its JSON otherwise.
   */
  readonly targetId?: (target: T) => string
  /**
   * Traces the run: each target runs in a span of this name (default
   * `target`) with these attributes (default `target.id`), to which the
   * engine adds `outcome` when the target ends; each of its steps runs in a
   * child span `step` with `step.name`, `step.status` and `step.reason`
   * (why it was skipped or failed). Without it, or with tracing off, no
   * span is made: they cost more than a trivial step.
   */
  readonly span?: TargetSpan<T>
}

/**
 * The trace span of a target (see {@link Options}).
 *
 * @since 0.1.0
 * @category models
 */
export interface TargetSpan<T> {
  readonly name?: string
  readonly attributes?: (target: T) => Record<string, unknown>
}

/**
 * One target's result: its terminal state and one outcome per step, typed by
 * step name.
 *
 * @since 0.1.0
 * @category models
 */
export interface TargetResult<T, S extends Step.Any> {
  readonly runId: string
  readonly target: T
  readonly targetId: string
  readonly state: TerminalState
  readonly outcomes: { readonly [K in S["name"]]: Outcome<Step.Output<Extract<S, { readonly name: K }>>, Step.Error<Extract<S, { readonly name: K }>>> }
  readonly durationMillis: number
}

/**
 * What a dry run says about one step of one target: it would `run`, it is
 * `disabled`, it would be skipped because an input is disabled (`upstream`),
 * or it would be `restored` from this run's checkpoint. `budget` is the draw
 * it would make: its units and paid calls from the step's `estimate` (or its
 * fixed units, one call), `undefined` when the draw depends on upstream
 * outputs and the step gives no `estimate`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlannedStep {
  readonly step: string
  readonly action: "run" | "disabled" | "upstream" | "restored"
  readonly budget: {
    readonly name: string
    readonly units: number | undefined
    readonly calls: number | undefined
  } | undefined
}

/**
 * The dry-run plan of one target.
 *
 * @since 0.1.0
 * @category models
 */
export interface TargetPlan<T> {
  readonly runId: string
  readonly target: T
  readonly targetId: string
  readonly steps: ReadonlyArray<PlannedStep>
}

/**
 * The services a run of a graph needs: its steps' services. Budget,
 * checkpoint store and event sink are used when present.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Requirements<G> = Graph.Context<G>

/**
 * Optional services the engine uses when they are provided.
 *
 * @since 0.1.0
 * @category models
 */
export type OptionalServices = Budget | Checkpoint | EventSink

const defaultRunId = Effect.zipWith(
  Effect.clockWith((clock: Clock.Clock) => clock.currentTimeMillis),
  Random.nextIntBetween(0, 0x7fffffff),
  (millis, n) => `run-${millis.toString(36)}-${n.toString(36)}`
)

const prepare = <T>(graph: Graph.Any, options: Options<T> | undefined) =>
  Effect.flatMap(options?.runId === undefined ? defaultRunId : Effect.succeed(options.runId), (runId) =>
    Run.prepare(graph, { ...options, runId }))

/**
 * Runs a graph and streams each target's result as it finishes (not in
 * input order). Fails with a {@link GraphError} before running anything when
 * the options are invalid (an unknown step in `skip`/`only`, a bad
 * `concurrency`).
 *
 * @since 0.1.0
 * @category running
 */
export const stream = <G extends Graph.Any, E, R>(
  graph: G,
  targets: Stream.Stream<Graph.TargetOf<Graph.Steps<G>>, E, R>,
  options?: Options<Graph.TargetOf<Graph.Steps<G>>>
): Stream.Stream<TargetResult<Graph.TargetOf<Graph.Steps<G>>, Graph.Steps<G>>, E | GraphError, R | Requirements<G>> =>
  Stream.unwrap(Effect.map(prepare(graph, options), (ctx) => Run.stream(ctx, targets))) as never

/**
 * Runs a graph over all targets and returns the run's summary. Events go to
 * the {@link EventSink} when one is provided.
 *
 * @example
 * ```ts
 * import { Engine, Graph, Step } from "@leadgraph/core"
 * import { Effect, Schema, Stream } from "effect"
 *
 * const step = Step.forTarget<number>()
 * const Double = step("double", { output: Schema.Number, run: ({ target }) => Effect.succeed(target * 2) })
 * const graph = Graph.unsafeMake(Double)
 * const summary = Engine.run(graph, Stream.range(1, 100), { concurrency: 8 })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run = <G extends Graph.Any, E, R>(
  graph: G,
  targets: Stream.Stream<Graph.TargetOf<Graph.Steps<G>>, E, R>,
  options?: Options<Graph.TargetOf<Graph.Steps<G>>>
): Effect.Effect<RunSummary.RunSummary, E | GraphError, R | Requirements<G>> =>
  Effect.flatMap(prepare(graph, options), (ctx) => Run.runAll(ctx, targets)).pipe(
    Effect.withSpan("Engine.run")
  ) as never

/**
 * A dry run: for each target, which steps would run and what budget each
 * would draw, without executing anything. Uses the checkpoint store, when
 * present, to mark steps that a re-run would restore.
 *
 * @since 0.1.0
 * @category running
 */
export const plan = <G extends Graph.Any, E, R>(
  graph: G,
  targets: Stream.Stream<Graph.TargetOf<Graph.Steps<G>>, E, R>,
  options?: Options<Graph.TargetOf<Graph.Steps<G>>>
): Stream.Stream<TargetPlan<Graph.TargetOf<Graph.Steps<G>>>, E | GraphError, R> =>
  Stream.unwrap(Effect.map(prepare(graph, options), (ctx) => Run.plan(ctx, targets))) as never

/**
 * Totals of a plan per budget name: units and paid calls forecast, and how
 * many planned draws had no forecast.
 *
 * @since 0.1.0
 * @category running
 */
export const forecast = (
  plans: Iterable<TargetPlan<unknown>>
): Record<string, { readonly units: number; readonly calls: number; readonly unknown: number; readonly steps: number }> => {
  const totals: Record<string, { units: number; calls: number; unknown: number; steps: number }> = {}
  for (const p of plans) {
    for (const s of p.steps) {
      if (s.action !== "run" || s.budget === undefined) continue
      const t = (totals[s.budget.name] ??= { units: 0, calls: 0, unknown: 0, steps: 0 })
      t.steps++
      if (s.budget.units === undefined) t.unknown++
      else t.units += s.budget.units
      t.calls += s.budget.calls ?? 0
    }
  }
  return totals
}
