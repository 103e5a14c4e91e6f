/**
 * The context of one engine run: its options, validated, and what every
 * step of every target shares (services, codecs, limits).
 *
 * @internal
 */
import type { Clock, ParseResult } from "effect"
import { Effect, FiberRef, Option, Schema } from "effect"
import { Budget } from "../Budget.js"
import { Checkpoint } from "../Checkpoint.js"
import { GraphError } from "../Errors.js"
import { EventSink } from "../Events.js"
import type * as Events from "../Events.js"
import type * as Graph from "../Graph.js"
import * as KeyedLimiter from "./keyedLimiter.js"

/** @internal */
export interface RunOptions {
  readonly runId: string
  readonly concurrency?: number | undefined
  readonly skip?: Iterable<string> | undefined
  readonly only?: Iterable<string> | undefined
  readonly targetId?: ((target: never) => string) | undefined
  readonly span?: {
    readonly name?: string | undefined
    readonly attributes?: ((target: never) => Record<string, unknown>) | undefined
  } | undefined
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
  /** The name of each target's span, and its attributes. */
  readonly targetSpan: string
  readonly targetAttributes: (target: unknown, targetId: string) => Record<string, unknown>
  /** Whether targets and steps run in spans: a `span` option was given and tracing is on. */
  readonly traced: boolean
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

const targetAttributes = (attributes: ((target: unknown) => Record<string, unknown>) | undefined) =>
  attributes === undefined
    ? (_: unknown, targetId: string): Record<string, unknown> => ({ "target.id": targetId })
    : (target: unknown): Record<string, unknown> => attributes(target)

/**
 * Milliseconds since `startMillis` on the Clock (TestClock in tests): vendor
 * calls take tens of milliseconds or more, and reading nanoseconds allocates
 * a BigInt per read.
 *
 * @internal
 */
export const millisSince = (clock: Clock.Clock, startMillis: number): number => clock.unsafeCurrentTimeMillis() - startMillis

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
      targetSpan: options.span?.name ?? "target",
      targetAttributes: targetAttributes(options.span?.attributes as ((target: unknown) => Record<string, unknown>) | undefined),
      // spans cost more than a trivial step: only when asked for and recorded
      traced: options.span !== undefined && (yield* FiberRef.get(FiberRef.currentTracerEnabled)),
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
