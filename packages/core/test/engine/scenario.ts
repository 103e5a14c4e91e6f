/**
 * Random graphs and workloads for the engine's property tests: a DAG of 1 to
 * 12 steps, per (target, step) outcomes and durations derived from a seed,
 * random concurrency, key limits and budget draws.
 */
import { Chunk, Data, Effect, FastCheck as fc, Option, Schedule, Schema, TestClock } from "effect"
import type { Fiber } from "effect"
import { Graph, Step } from "@leadgraph/core"

export interface StepShape {
  readonly needs: ReadonlyArray<number>
  readonly absent: boolean
  readonly keyLimit: number | undefined
  readonly units: number
}

export interface Scenario {
  readonly steps: ReadonlyArray<StepShape>
  readonly targets: number
  readonly concurrency: number
  readonly cap: number
  readonly seed: number
}

const stepShape = (i: number): fc.Arbitrary<StepShape> =>
  fc.record({
    needs: i === 0 ? fc.constant([]) : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(i, 3) }),
    absent: fc.boolean(),
    keyLimit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    units: fc.integer({ min: 0, max: 3 })
  })

export const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    steps: fc.tuple(...Array.from({ length: n }, (_, i) => stepShape(i))),
    targets: fc.integer({ min: 1, max: 16 }),
    concurrency: fc.integer({ min: 1, max: 6 }),
    cap: fc.integer({ min: 0, max: 30 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff })
  })
)

/** A deterministic 32-bit mix of the seed, target and step. */
export const mix = (seed: number, t: number, s: number): number => {
  let h = (seed ^ Math.imul(t + 1, 0x9e3779b1) ^ Math.imul(s + 1, 0x85ebca77)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

export type Behaviour = "ok" | "fail" | "flaky" | "die"

/** What step `s` does for target `t`: mostly succeed, sometimes fail, retry once or die. */
export const behaviour = (sc: Scenario, t: number, s: number): { readonly kind: Behaviour; readonly delay: number } => {
  const h = mix(sc.seed, t, s)
  const r = h % 100
  const kind: Behaviour = r < 70 ? "ok" : r < 82 ? "flaky" : r < 94 ? "fail" : "die"
  return { kind, delay: (h >>> 8) % 6 }
}

export class TestFailure extends Data.TaggedError("TestFailure")<{ readonly retryable: boolean }> {}

/** Observations made by the handlers while a scenario runs. */
export interface Probe {
  /** Handler completions that succeeded, per "t:s". */
  readonly succeeded: Map<string, number>
  /** Handler attempts per "t:s". */
  readonly attempts: Map<string, number>
  /** Attempts in flight per key scope + key, and the highest seen. */
  readonly keyInFlight: Map<string, number>
  readonly violations: Array<string>
}

export const makeProbe = (): Probe => ({ succeeded: new Map(), attempts: new Map(), keyInFlight: new Map(), violations: [] })

const render = (v: unknown): string => (Option.isOption(v) ? Option.match(v, { onNone: () => "-", onSome: String }) : String(v))

/** Builds the scenario's graph; handlers report to the probe. */
export const buildGraph = (sc: Scenario, probe: Probe, options: { readonly budgets: boolean }) => {
  const step = Step.forTarget<number>()
  const steps: Array<Step.Any> = []
  sc.steps.forEach((shape, s) => {
    const needs: Record<string, Step.Any> = {}
    for (const j of shape.needs) needs[`n${j}`] = steps[j]!
    const keyOf = ({ target }: { readonly target: number }) => `k${target % 3}`
    const run = (input: Record<string, unknown>) => {
      const t = input.target as number
      const b = behaviour(sc, t, s)
      const key = `s${s}|${keyOf({ target: t })}`
      return Effect.suspend(() => {
        const attempt = (probe.attempts.get(`${t}:${s}`) ?? 0) + 1
        probe.attempts.set(`${t}:${s}`, attempt)
        if (shape.keyLimit !== undefined) {
          const now = (probe.keyInFlight.get(key) ?? 0) + 1
          probe.keyInFlight.set(key, now)
          if (now > shape.keyLimit) probe.violations.push(`key ${key}: ${now} in flight > ${shape.keyLimit}`)
        }
        const work = Effect.gen(function*() {
          if (b.delay > 0) yield* Effect.sleep(`${b.delay} millis`)
          if (b.kind === "fail") return yield* new TestFailure({ retryable: false })
          if (b.kind === "flaky" && attempt === 1) return yield* new TestFailure({ retryable: true })
          if (b.kind === "die") return yield* Effect.die(new Error(`boom ${t}:${s}`))
          const inputs = shape.needs.map((j) => render(input[`n${j}`])).join(",")
          return `s${s}(${inputs})@${t}`
        })
        return work.pipe(
          Effect.tap(() => Effect.sync(() => probe.succeeded.set(`${t}:${s}`, (probe.succeeded.get(`${t}:${s}`) ?? 0) + 1))),
          Effect.ensuring(Effect.sync(() => {
            if (shape.keyLimit !== undefined) probe.keyInFlight.set(key, probe.keyInFlight.get(key)! - 1)
          }))
        )
      })
    }
    const base = {
      needs,
      output: Schema.String,
      dependants: shape.absent ? "absent" as const : "skip" as const,
      retry: Schedule.recurs(1),
      run,
      ...(shape.keyLimit !== undefined ? { key: keyOf, keyLimit: shape.keyLimit } : {})
    }
    steps.push(
      options.budgets && shape.units > 0
        ? step(`s${s}`, { ...base, budget: { name: "b", units: shape.units } }) as Step.Any
        : step(`s${s}`, base as never) as Step.Any
    )
  })
  return Graph.unsafeMake(...(steps as [Step.Any]))
}

/**
 * Runs a forked effect to its end under the TestClock: whenever every fiber
 * is asleep, moves the clock to the earliest wake-up.
 */
export const drive = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (;;) {
      const exit = yield* fiber.poll
      if (exit._tag === "Some") return yield* exit.value
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isEmpty(sleeps)) yield* Effect.yieldNow()
      else yield* TestClock.setTime(Math.min(...sleeps))
    }
  })
