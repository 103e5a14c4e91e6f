/**
 * A graph of steps, validated once at construction: every need is in the
 * graph, there is no cycle, names are unique and no need is called
 * `target`. Where the compiler can see a missing need, `make` does not
 * compile. Renders itself as Mermaid.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import { GraphError } from "./Errors.js"
import type * as Step from "./Step.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("@leadgraph/core/Graph")

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A validated graph over targets of type `T` whose steps are the union `S`.
 * `steps` is in a deterministic topological order (ties broken by name).
 *
 * @since 0.1.0
 * @category models
 */
export interface Graph<in out T, out S extends Step.Any> {
  readonly [TypeId]: { readonly _T: (_: T) => T }
  readonly steps: ReadonlyArray<S>
  /** For each step (by index in `steps`), its needs as `[input key, step index]`. */
  readonly needs: ReadonlyArray<ReadonlyArray<readonly [string, number]>>
  /** For each step (by index in `steps`), the indices of the steps that need it. */
  readonly dependants: ReadonlyArray<ReadonlyArray<number>>
  /** Indices of the steps that need nothing. */
  readonly roots: ReadonlyArray<number>
  /** Index of each step by name. */
  readonly index: ReadonlyMap<string, number>
}

/**
 * Any graph.
 *
 * @since 0.1.0
 * @category models
 */
export type Any = Graph<any, Step.Any>

/**
 * The intersection of the members of a union.
 *
 * @since 0.1.0
 * @category type-level
 */
export type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

/**
 * The target type of a union of steps.
 *
 * @since 0.1.0
 * @category type-level
 */
export type TargetOf<S extends Step.Any> = UnionToIntersection<Step.Target<S>>

/**
 * The steps of a graph.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Steps<G> = G extends Graph<any, infer S> ? S : never

/**
 * The services a graph's steps require.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Context<G> = Step.Context<Steps<G>>

/**
 * The steps needed by `S` that are not in `S`.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Missing<S extends Step.Any> = Exclude<Step.NeedSteps<S>, S>

/**
 * What `make` demands when a step needs a step that is not among its
 * arguments: a compile error naming the missing step.
 *
 * @since 0.1.0
 * @category type-level
 */
export interface MissingNeed<Name extends string> {
  readonly "a step needs a step missing from the graph": Name
}

/**
 * `unknown` when every need of the steps is among them, else a
 * {@link MissingNeed} that no argument list satisfies.
 *
 * @since 0.1.0
 * @category type-level
 */
export type CheckNeeds<Steps extends ReadonlyArray<Step.Any>> = [Missing<Steps[number]>] extends [never] ? unknown
  : 0 extends (1 & Missing<Steps[number]>) ? unknown
  : MissingNeed<Missing<Steps[number]>["name"]>

/**
 * Builds a graph, or fails with a {@link GraphError} (`UnknownNeed`, `Cycle`,
 * `DuplicateName`, `ReservedName`, `InvalidOption`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Steps extends ReadonlyArray<Step.Any>>(
  ...steps: Steps & CheckNeeds<Steps>
): Either.Either<Graph<TargetOf<Steps[number]>, Steps[number]>, GraphError> =>
  build(steps as unknown as ReadonlyArray<Step.Any>) as never

/**
 * Like {@link make}, but throws the {@link GraphError}; for graphs declared
 * once at module level, where an invalid graph is a programming error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = <const Steps extends ReadonlyArray<Step.Any>>(
  ...steps: Steps & CheckNeeds<Steps>
): Graph<TargetOf<Steps[number]>, Steps[number]> =>
  Either.getOrThrowWith(build(steps as unknown as ReadonlyArray<Step.Any>), (error) => error) as never

const fail = (reason: GraphError["reason"], steps: ReadonlyArray<string>, detail: string) =>
  Either.left(new GraphError({ reason, steps, detail }))

const build = (input: ReadonlyArray<Step.Any>): Either.Either<Graph<unknown, Step.Any>, GraphError> => {
  const byName = new Map<string, Step.Any>()
  for (const step of input) {
    const seen = byName.get(step.name)
    if (seen !== undefined) {
      if (seen === step) continue
      return fail("DuplicateName", [step.name], `two different steps are named "${step.name}"`)
    }
    if (!(Number.isInteger(step.keyLimit) && step.keyLimit >= 1)) {
      return fail("InvalidOption", [step.name], `step "${step.name}": keyLimit must be a positive integer`)
    }
    byName.set(step.name, step)
  }
  for (const step of byName.values()) {
    for (const [key, need] of Object.entries(step.needs as Record<string, Step.Any>)) {
      if (key === "target") {
        return fail("ReservedName", [step.name], `step "${step.name}" names a need "target", which is reserved`)
      }
      if (byName.get(need.name) !== need) {
        return fail("UnknownNeed", [step.name, need.name], `step "${step.name}" needs "${need.name}", which is not in the graph`)
      }
    }
  }
  // Kahn's algorithm, always taking the smallest ready name: deterministic order.
  const names = [...byName.keys()].sort()
  const pending = new Map(names.map((n) => [n, new Set(Object.values(byName.get(n)!.needs as Record<string, Step.Any>).map((s) => s.name))]))
  const order: Array<Step.Any> = []
  while (pending.size > 0) {
    const ready = names.find((n) => pending.get(n)?.size === 0)
    if (ready === undefined) {
      const cycle = [...pending.keys()]
      return fail("Cycle", cycle, `the needs of ${cycle.map((n) => `"${n}"`).join(", ")} form a cycle`)
    }
    pending.delete(ready)
    for (const deps of pending.values()) deps.delete(ready)
    order.push(byName.get(ready)!)
  }
  const index = new Map(order.map((s, i) => [s.name, i]))
  const needs = order.map((s) =>
    Object.entries(s.needs as Record<string, Step.Any>).map(([key, need]) => [key, index.get(need.name)!] as const)
  )
  const dependants = order.map((_, i) => order.flatMap((_, j) => (needs[j]!.some(([, k]) => k === i) ? [j] : [])))
  const roots = order.flatMap((_, i) => (needs[i]!.length === 0 ? [i] : []))
  return Either.right({ [TypeId]: { _T: (t: unknown) => t }, steps: order, needs, dependants, roots, index })
}

const mermaidLabel = (s: string) => s.replace(/["<>]/g, (c) => `#${c.charCodeAt(0)};`)

/**
 * Renders the graph as a Mermaid flowchart: one node per step (labelled
 * with its name and, when set, its budget and concurrency key), one edge per
 * need, in the graph's deterministic order.
 *
 * @since 0.1.0
 * @category rendering
 */
export const toMermaid = (graph: Any): string => {
  const lines = ["flowchart TD"]
  graph.steps.forEach((step, i) => {
    const notes = [
      step.budget ? `budget: ${step.budget.name}` : undefined,
      step.key ? `key limit: ${step.keyLimit}` : undefined,
      step.cacheKey ? "cached" : undefined
    ].filter((n): n is string => n !== undefined)
    const label = [step.name, ...notes].map(mermaidLabel).join("<br/>")
    lines.push(`  s${i}["${label}"]`)
  })
  graph.needs.forEach((needs, i) => {
    for (const [, j] of needs) {
      const arrow = graph.steps[j]!.dependants === "absent" ? "-.->" : "-->"
      lines.push(`  s${j} ${arrow} s${i}`)
    }
  })
  return lines.join("\n")
}
