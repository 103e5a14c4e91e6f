/**
 * Where the Effect runtime's work goes, for `npm run bench -- pipeline
 * --count`: spans started by name, fibers started and Effect operations
 * evaluated, each by the innermost span of the fiber that started or ran
 * them. A CPU profile cannot say this: the run loop runs every fiber's
 * continuations, so the runtime's own frames have no caller from the code
 * that built them. Counting slows the run (a supervisor sees every
 * operation), so CPU figures of a counted run are not comparable.
 */
import { Effect, Option, RuntimeFlags, RuntimeFlagsPatch, Supervisor, Tracer } from "effect"
import type { Context, Exit, Fiber } from "effect"

const spans = new Map<string, number>()
const fibers = new Map<string, number>()
const ops = new Map<string, number>()
/** Operations by span, op code and the source of the function it runs (`--count detail`). */
const opSites = new Map<string, number>()
let detail = false
const sources = new WeakMap<object, string>()
const sourceOf = (f: unknown): string => {
  if (typeof f !== "function") return ""
  let text = sources.get(f)
  if (text === undefined) {
    text = `${f.name} ${String(f).replace(/\s+/g, " ").slice(0, 100)}`
    sources.set(f, text)
  }
  return text
}
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)

interface WithSpan {
  readonly currentSpan?: Tracer.AnySpan | undefined
}
const spanName = (fiber: unknown): string => {
  const span = (fiber as WithSpan).currentSpan
  return span === undefined ? "(no span)" : span._tag === "Span" ? span.name : "(external)"
}

class Counting extends Supervisor.AbstractSupervisor<void> {
  value = Effect.void
  override onStart<A, E, R>(
    _context: Context.Context<R>,
    _effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    _fiber: Fiber.RuntimeFiber<A, E>
  ): void {
    bump(fibers, Option.isSome(parent) ? spanName(parent.value) : "(root)")
  }
  override onEnd<A, E>(_value: Exit.Exit<A, E>, _fiber: Fiber.RuntimeFiber<A, E>): void {}
  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>): void {
    const span = spanName(fiber)
    bump(ops, span)
    if (detail) {
      const op = effect as unknown as { readonly _op?: string; readonly effect_instruction_i0?: unknown; readonly effect_instruction_i1?: unknown }
      const f = typeof op.effect_instruction_i1 === "function" ? op.effect_instruction_i1 : op.effect_instruction_i0
      bump(opSites, `${span} | ${op._op ?? "?"} | ${sourceOf(f)}`)
    }
  }
}

const countingTracer = (inner: Tracer.Tracer): Tracer.Tracer =>
  Tracer.make({
    span: (name, ...rest) => {
      bump(spans, name)
      return inner.span(name, ...rest)
    },
    context: inner.context
  })

/** Runs `self` with the counters on. */
export const counted = <A, E, R>(self: Effect.Effect<A, E, R>, withDetail = false): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.tracer, (inner) =>
    (detail = withDetail, self).pipe(
      Effect.supervised(new Counting()),
      Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)),
      Effect.withTracer(countingTracer(inner))
    ))

/** A snapshot of the counters. */
export const snapshot = () => ({
  spans: new Map(spans),
  fibers: new Map(fibers),
  ops: new Map(ops),
  opSites: new Map(opSites)
})

/** What was counted since `before`, per company, sorted, the top `top` of each. */
export const since = (before: ReturnType<typeof snapshot>, companies: number, top = 40) => {
  const diff = (now: Map<string, number>, then: Map<string, number>, n = top) =>
    Object.fromEntries(
      [...now].map(([k, v]) => [k, (v - (then.get(k) ?? 0)) / companies] as const)
        .filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, n)
    )
  const total = (m: Map<string, number>, then: Map<string, number>) =>
    ([...m].reduce((a, [k, v]) => a + v - (then.get(k) ?? 0), 0)) / companies
  return {
    spansPerCompany: total(spans, before.spans),
    fibersPerCompany: total(fibers, before.fibers),
    opsPerCompany: total(ops, before.ops),
    spans: diff(spans, before.spans),
    fibersByParentSpan: diff(fibers, before.fibers),
    opsBySpan: diff(ops, before.ops),
    opSites: detail ? diff(opSites, before.opSites, 150) : undefined
  }
}
