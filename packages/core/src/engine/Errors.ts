/**
 * The engine's own errors: graph validation, step time-outs and step defects.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A graph (or a run's options) is invalid: a step needs a step that is not in
 * the graph, the needs form a cycle, two steps share a name, a need is called
 * `target`, or `skip`/`only` names an unknown step.
 *
 * @since 0.1.0
 * @category errors
 */
export class GraphError extends Schema.TaggedError<GraphError>()("GraphError", {
  reason: Schema.Literal("UnknownNeed", "Cycle", "DuplicateName", "ReservedName", "UnknownStep", "InvalidOption"),
  steps: Schema.Array(Schema.String),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/**
 * One attempt of a step ran past its timeout. Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class StepTimeout extends Schema.TaggedError<StepTimeout>()("StepTimeout", {
  step: Schema.String,
  timeoutMillis: Schema.Number
}) {
  /** A time-out is transient: the step's retry schedule may try again. */
  readonly retryable = true

  override get message(): string {
    return `step "${this.step}" timed out after ${this.timeoutMillis} ms`
  }
}

/**
 * A step's handler died (a bug, not an expected failure). The target records
 * it as that step's failure and the run goes on.
 *
 * @since 0.1.0
 * @category errors
 */
export class StepDefect extends Schema.TaggedError<StepDefect>()("StepDefect", {
  step: Schema.String,
  cause: Schema.Defect
}) {
  /** Bugs are not retried. */
  readonly retryable = false

  override get message(): string {
    return `step "${this.step}" died: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}
