import { describe, expect, it } from "@effect/vitest"
import { Budget, BudgetLedger, Checkpoint, Engine, Events } from "@leadgraph/core"
import type { Outcome } from "@leadgraph/core"
import { Chunk, Effect, Exit, FastCheck as fc, Fiber, Layer, Stream, TestClock } from "effect"
import { buildGraph, drive, makeProbe, scenario } from "./scenario.js"
import type { Scenario } from "./scenario.js"

const targets = (sc: Scenario) => Stream.range(0, sc.targets - 1)

type AnyOutcome = Outcome.Outcome<unknown, unknown>

const collect = <A, E, R>(s: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(s), Chunk.toReadonlyArray)

describe("Engine properties", () => {
  it.effect.prop(
    "needs finish first; concurrency and key limits hold; budgets never pass their caps; one state per target",
    { sc: scenario },
    ({ sc }) =>
      Effect.gen(function*() {
        const probe = makeProbe()
        const graph = buildGraph(sc, probe, { budgets: true })
        const finished = new Set<string>()
        const started = new Map<string, number>()
        const inFlight = new Set<number>()
        const violations: Array<string> = []
        let maxInFlight = 0
        const sink: Events.Sink = (e) =>
          Effect.sync(() => {
            if (e._tag === "StepStarted") {
              const t = Number(e.targetId)
              inFlight.add(t)
              maxInFlight = Math.max(maxInFlight, inFlight.size)
              const s = graph.index.get(e.step)!
              for (const [, j] of graph.needs[s]!) {
                if (!finished.has(`${t}:${graph.steps[j]!.name}`)) violations.push(`${e.step} started before ${graph.steps[j]!.name} for ${t}`)
              }
              started.set(`${t}:${e.step}`, (started.get(`${t}:${e.step}`) ?? 0) + 1)
            } else if (e._tag === "StepFinished") {
              const k = `${e.targetId}:${e.step}`
              if (finished.has(k)) violations.push(`${k} finished twice`)
              finished.add(k)
            } else if (e._tag === "TargetFinished") {
              inFlight.delete(Number(e.targetId))
            }
          })
        const ledger = yield* BudgetLedger.makeMemory({ caps: { b: sc.cap } })
        const layer = Layer.mergeAll(
          Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))),
          Events.layer(sink)
        )
        const fiber = yield* Effect.fork(
          collect(Engine.stream(graph, targets(sc), { concurrency: sc.concurrency, runId: "p" })).pipe(Effect.provide(layer))
        )
        const results = yield* drive(fiber)

        // 1. no step starts before every step it needs has finished
        expect(violations).toEqual([])
        // 2. targets in flight and attempts per key within their limits
        expect(maxInFlight).toBeLessThanOrEqual(sc.concurrency)
        expect(probe.violations).toEqual([])
        // 3. committed units within the cap; every reservation settled
        const usage = yield* ledger.usage("b")
        expect(usage.committed).toBeLessThanOrEqual(sc.cap)
        expect(usage.reserved).toBe(0)
        const committed = results.flatMap((r) =>
          Object.values<AnyOutcome>(r.outcomes).map((o) => (o._tag === "Succeeded" && o.budget ? o.budget.units : 0))
        ).reduce((a, b) => a + b, 0)
        expect(committed).toBe(usage.committed)
        // 4. one terminal state per target, one outcome per step
        expect(results.map((r) => r.targetId).sort()).toEqual(Array.from({ length: sc.targets }, (_, t) => String(t)).sort())
        for (const r of results) {
          expect(Object.keys(r.outcomes).sort()).toEqual(graph.steps.map((s) => s.name).sort())
          expect(["succeeded", "partial", "failed"]).toContain(r.state)
          for (const s of graph.steps) expect(finished.has(`${r.targetId}:${s.name}`)).toBe(true)
        }
        expect(finished.size).toBe(sc.targets * graph.steps.length)
      }),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect.prop(
    "interrupted at a random moment and re-run: no succeeded step runs twice; outputs equal an uninterrupted run's",
    { sc: scenario, interruptAfter: fc.integer({ min: 0, max: 40 }) },
    ({ interruptAfter, sc }) =>
      Effect.gen(function*() {
        const view = (results: ReadonlyArray<{ readonly targetId: string; readonly outcomes: Record<string, AnyOutcome> }>) =>
          Object.fromEntries(results.flatMap((r) =>
            Object.entries(r.outcomes).map(([s, o]) => [`${r.targetId}:${s}`, o._tag === "Failed" ? "failed" : o._tag === "Skipped" ? `skipped:${o.reason}` : o.output])
          ))

        const reference = yield* Effect.fork(
          collect(Engine.stream(buildGraph(sc, makeProbe(), { budgets: false }), targets(sc), { concurrency: sc.concurrency, runId: "r" }))
        ).pipe(Effect.flatMap(drive))

        const probe = makeProbe()
        const graph = buildGraph(sc, probe, { budgets: false })
        const store = yield* Checkpoint.makeMemory
        const withStore = Effect.provideService(Checkpoint.Checkpoint, store)
        const first = yield* Effect.fork(
          collect(Engine.stream(graph, targets(sc), { concurrency: sc.concurrency, runId: "r" })).pipe(withStore)
        )
        yield* TestClock.adjust(`${interruptAfter} millis`)
        const firstExit = yield* Fiber.interrupt(first)
        const rerun = yield* Effect.fork(
          collect(Engine.stream(graph, targets(sc), { concurrency: sc.concurrency, runId: "r" })).pipe(withStore)
        ).pipe(Effect.flatMap(drive))

        for (const [k, n] of probe.succeeded) expect([k, n]).toEqual([k, 1])
        expect(view(rerun)).toEqual(view(reference))
        if (Exit.isSuccess(firstExit)) expect(view(firstExit.value)).toEqual(view(reference))
      }),
    { fastCheck: { numRuns: 50 } }
  )
})
