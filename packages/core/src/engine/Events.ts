/**
 * What the engine reports while it runs, and the sinks that listen. Sinks
 * turn events into logs, progress bars, the runs table and reports; the
 * engine publishes only when a sink is provided.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { BudgetUse, SkipReason, TerminalState } from "./Outcome.js"
import type { RunSummary } from "./RunSummary.js"

/**
 * A run began.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunStarted {
  readonly _tag: "RunStarted"
  readonly runId: string
  readonly atMillis: number
}

/**
 * A step began executing for a target (after its inputs were ready; not
 * published for skipped or restored steps).
 *
 * @since 0.1.0
 * @category models
 */
export interface StepStarted {
  readonly _tag: "StepStarted"
  readonly runId: string
  readonly targetId: string
  readonly step: string
  readonly atMillis: number
}

/**
 * A step reached its outcome for a target.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepFinished {
  readonly _tag: "StepFinished"
  readonly runId: string
  readonly targetId: string
  readonly step: string
  readonly outcome: "Succeeded" | "Skipped" | "Failed"
  readonly reason: SkipReason | undefined
  readonly restored: boolean
  readonly durationMillis: number
  readonly budget: BudgetUse | undefined
  /** The error of a failed step. */
  readonly error: unknown
}

/**
 * A target reached its terminal state.
 *
 * @since 0.1.0
 * @category models
 */
export interface TargetFinished {
  readonly _tag: "TargetFinished"
  readonly runId: string
  readonly targetId: string
  readonly state: TerminalState
  readonly durationMillis: number
}

/**
 * A run ended, with its summary.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunFinished {
  readonly _tag: "RunFinished"
  readonly runId: string
  readonly summary: RunSummary
}

/**
 * Every event the engine publishes.
 *
 * @since 0.1.0
 * @category models
 */
export type Event = RunStarted | StepStarted | StepFinished | TargetFinished | RunFinished

/**
 * A function that receives events. It should be quick: the engine waits for it.
 *
 * @since 0.1.0
 * @category models
 */
export type Sink = (event: Event) => Effect.Effect<void>

/**
 * The service the engine publishes to.
 *
 * @since 0.1.0
 * @category tags
 */
export class EventSink extends Context.Tag("@leadgraph/core/EventSink")<EventSink, {
  readonly publish: Sink
}>() {}

/**
 * A Layer publishing every event to each of the sinks, in order.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (...sinks: ReadonlyArray<Sink>): Layer.Layer<EventSink> =>
  Layer.succeed(EventSink, {
    publish: sinks.length === 1 ? sinks[0]! : (event) => Effect.forEach(sinks, (sink) => sink(event), { discard: true })
  })
