/**
 * A step is a value: a stable, explicit name (it keys checkpoints, caches and
 * metrics), the steps it needs, an output Schema (so outputs can be
 * checkpointed and decoded again), a handler, and a policy — retry schedule,
 * timeout, budget draw, concurrency key, cache key, and what its dependants
 * get when it does not succeed. The {@link Engine} runs steps; a step never
 * runs itself.
 *
 * @since 0.1.0
 */
import type { Duration, Effect, Option, Schedule, Schema } from "effect"
import type { Budget } from "./Budget.js"
import type { StepTimeout } from "./Errors.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("@leadgraph/core/Step")

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * What the dependants of a step get when it fails or is skipped: `"skip"`
 * (the default) skips them with reason `upstream`; `"absent"` runs them with
 * this input as `Option.none()` (and as `Option.some(output)` when it
 * succeeded).
 *
 * @since 0.1.0
 * @category models
 */
export type Dependants = "skip" | "absent"

/**
 * Which budget a step draws from and how much; the engine reserves the draw
 * before the step runs (see `Budget.drawFrom`). `units` is fixed or
 * computed from the step's input (an effect may read the step's services);
 * 0 draws nothing. The paid calls the step makes report what they cost to
 * the draw (`Budget.metered`), and that is committed; `used` overrides it
 * from the output (answer `undefined` to keep it). A step that makes no
 * metered call commits the units it drew, or nothing when it says its paid
 * calls are all `metered` (it found its answers in a cache).
 *
 * `estimate` forecasts the draw for dry runs (`Engine.plan`) from the target
 * alone when `units` needs upstream outputs: its units and its paid calls.
 * It may read services the caller of `Engine.plan` provides through
 * `Effect.serviceOption` (for example what a tenant's history says).
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetDraw<In, T, A, R = never> {
  readonly name: string
  readonly units: number | ((input: In) => number | Effect.Effect<number, never, R>)
  readonly estimate?: ((target: T) => Estimate | Effect.Effect<Estimate>) | undefined
  readonly used?: ((output: A) => number | undefined) | undefined
  readonly metered?: boolean | undefined
}

/**
 * A dry-run estimate of a draw: its units, or its units and the paid calls
 * they take (a bare number counts as one call when it is above 0).
 *
 * @since 0.1.0
 * @category models
 */
export type Estimate = number | { readonly units: number; readonly calls: number }

/**
 * The record of steps a step needs, keyed by the names its handler reads them
 * under. `target` is reserved for the target itself.
 *
 * @since 0.1.0
 * @category models
 */
export type Needs = { readonly [key: string]: Any } & { readonly target?: never }

/**
 * The value a dependant receives for a need: the output, or an `Option` of it
 * when the need's policy is `"absent"`.
 *
 * @since 0.1.0
 * @category type-level
 */
export type NeedValue<S> = S extends Step<any, any, any, infer A, any, any, infer D>
  ? [D] extends ["absent"] ? Option.Option<A> : A
  : never

/**
 * The handler's input: the target plus one field per declared need. Reading a
 * need that was not declared does not compile.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Input<T, N extends Needs> = 0 extends (1 & N) ? any
  : { readonly target: T } & { readonly [K in Exclude<keyof N, "target">]: NeedValue<N[K]> }

/**
 * A step. Build one with {@link forTarget}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step<
  Name extends string,
  T,
  N extends Needs,
  A,
  E,
  R,
  D extends Dependants
> {
  readonly [TypeId]: TypeId
  readonly name: Name
  readonly needs: N
  readonly output: Schema.Schema<A, any, never>
  readonly run: (input: Input<T, N>) => Effect.Effect<A, E, R>
  readonly dependants: D
  readonly retry: Schedule.Schedule<unknown, E | StepTimeout, never> | undefined
  readonly timeout: Duration.DurationInput | undefined
  readonly budget: BudgetDraw<Input<T, N>, T, A, unknown> | undefined
  readonly key: ((input: Input<T, N>) => string) | undefined
  readonly keyLimit: number
  readonly keyScope: string
  readonly cacheKey: ((input: Input<T, N>) => string) | undefined
  readonly description: string | undefined
}

/**
 * Any step.
 *
 * @since 0.1.0
 * @category models
 */
export type Any = Step<string, any, any, any, any, any, Dependants>

/**
 * The output type of a step.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Output<S> = S extends Step<any, any, any, infer A, any, any, any> ? A : never

/**
 * The error type of a step's handler.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Error<S> = S extends Step<any, any, any, any, infer E, any, any> ? E : never

/**
 * The services a step requires.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Context<S> = S extends Step<any, any, any, any, any, infer R, any> ? R : never

/**
 * The target type of a step.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Target<S> = S extends Step<any, infer T, any, any, any, any, any> ? T : never

/**
 * The steps a step needs, as a union.
 *
 * @since 0.1.0
 * @category type-level
 */
export type NeedSteps<S> = S extends Step<any, any, infer N, any, any, any, any> ? N[Exclude<keyof N, "target">] : never

/**
 * How a step is declared: its needs, output Schema, handler and policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Spec<T, N extends Needs, A, I, E, R, D extends Dependants> {
  /** The steps whose outputs the handler reads, by the names it reads them under. */
  readonly needs?: N
  /** The output Schema; its encoded form is what checkpoints and caches store. */
  readonly output: Schema.Schema<A, I, never>
  /** The handler. It receives the target and its needs' outputs. */
  readonly run: (input: Input<T, N>) => Effect.Effect<A, E, R>
  /** What dependants get when this step fails or is skipped (default `"skip"`). */
  readonly dependants?: D
  /** Retry schedule; only errors marked retryable (see `Retry`) are retried. */
  readonly retry?: Schedule.Schedule<unknown, NoInfer<E> | StepTimeout, never>
  /** Timeout of one attempt; a time-out fails the attempt with `StepTimeout`. */
  readonly timeout?: Duration.DurationInput
  /** Concurrency key, for example the target's domain. */
  readonly key?: (input: Input<T, N>) => string
  /** How many attempts may hold one key at once, across all targets (default 1). */
  readonly keyLimit?: number
  /** Steps with the same scope share their key limits (default: the step's name). */
  readonly keyScope?: string
  /** Cache key: an output stored under it (by any run) is reused, skipping with reason `cached`. */
  readonly cacheKey?: (input: Input<T, N>) => string
  /** One line for docs and Mermaid. */
  readonly description?: string
}

/**
 * A step's declaration with a budget draw.
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetedSpec<T, N extends Needs, A, I, E, R, D extends Dependants> extends Spec<T, N, A, I, E, R, D> {
  /** The budget this step draws from before it runs. */
  readonly budget: BudgetDraw<Input<T, N>, T, NoInfer<A>, NoInfer<R>>
}

/**
 * Declares steps over one target type. A step with a `budget` requires the
 * `Budget` service.
 *
 * @example
 * ```ts
 * import { Step } from "@leadgraph/core"
 * import { Effect, Schema } from "effect"
 *
 * const step = Step.forTarget<{ readonly domain: string }>()
 * const Fetch = step("fetch", { output: Schema.String, run: ({ target }) => Effect.succeed(target.domain) })
 * const Length = step("length", {
 *   needs: { page: Fetch },
 *   output: Schema.Number,
 *   run: ({ page }) => Effect.succeed(page.length)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const forTarget = <T>(): {
  <const Name extends string, A, I, E = never, R = never, const N extends Needs = {}, const D extends Dependants = "skip">(
    name: Name,
    spec: BudgetedSpec<T, N, A, I, E, R, D>
  ): Step<Name, T, N, A, E, R | Budget, D>
  <const Name extends string, A, I, E = never, R = never, const N extends Needs = {}, const D extends Dependants = "skip">(
    name: Name,
    spec: Spec<T, N, A, I, E, R, D> & { readonly budget?: undefined }
  ): Step<Name, T, N, A, E, R, D>
} =>
(name: string, spec: BudgetedSpec<T, any, any, any, any, any, any> | Spec<T, any, any, any, any, any, any>) => ({
  [TypeId]: TypeId,
  name,
  needs: spec.needs ?? {},
  output: spec.output,
  run: spec.run,
  dependants: spec.dependants ?? "skip",
  retry: spec.retry,
  timeout: spec.timeout,
  budget: "budget" in spec ? spec.budget : undefined,
  key: spec.key,
  keyLimit: spec.keyLimit ?? 1,
  keyScope: spec.keyScope ?? name,
  cacheKey: spec.cacheKey,
  description: spec.description
}) as never

/**
 * True for a step value.
 *
 * @since 0.1.0
 * @category guards
 */
export const isStep = (u: unknown): u is Any => typeof u === "object" && u !== null && TypeId in u
