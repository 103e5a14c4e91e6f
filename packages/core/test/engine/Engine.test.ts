import { describe, expect, it } from "@effect/vitest"
import { Budget, BudgetLedger, Checkpoint, Engine, EngineError, Events, Graph, RunSummary, Step } from "@leadgraph/core"
import { Chunk, Context, Data, Effect, Either, Fiber, Layer, Option, Schedule, Schema, Stream, TestClock } from "effect"
import { drive } from "./scenario.js"

class Flaky extends Data.TaggedError("Flaky")<{ readonly retryable: boolean }> {}

const step = Step.forTarget<string>()
const collect = <A, E, R>(s: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(s), Chunk.toReadonlyArray)
const one = <G extends Graph.Graph<string, Step.Any>>(graph: G, target = "t", options?: Engine.Options<string>) =>
  Effect.map(
    collect(Engine.stream(graph, Stream.make(target as Graph.TargetOf<Graph.Steps<G>>), options as Engine.Options<Graph.TargetOf<Graph.Steps<G>>>)),
    (rs) => rs[0]!
  )

describe("Engine: retries and time-outs (TestClock)", () => {
  it.effect("retries retryable errors on the step's schedule, and only those", () =>
    Effect.gen(function*() {
      let attempts = 0
      const S = step("s", {
        output: Schema.Number,
        retry: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(5))),
        run: () => Effect.suspend(() => ++attempts < 3 ? Effect.fail(new Flaky({ retryable: true })) : Effect.succeed(attempts))
      })
      const fiber = yield* Effect.fork(one(Graph.unsafeMake(S)))
      yield* TestClock.adjust("999 millis")
      expect(attempts).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(attempts).toBe(2)
      yield* TestClock.adjust("2 seconds")
      const r = yield* Fiber.join(fiber)
      expect(attempts).toBe(3)
      expect(r.outcomes.s).toMatchObject({ _tag: "Succeeded", output: 3, durationMillis: 3000 })

      let fatal = 0
      const F = step("f", {
        output: Schema.Number,
        retry: Schedule.recurs(5),
        run: () => Effect.suspend(() => (fatal++, Effect.fail(new Flaky({ retryable: false }))))
      })
      const rf = yield* one(Graph.unsafeMake(F))
      expect(fatal).toBe(1)
      expect(rf.state).toBe("failed")
      expect(rf.outcomes.f).toMatchObject({ _tag: "Failed", error: { _tag: "Flaky" } })
    }))

  it.effect("times out an attempt with StepTimeout, which the schedule may retry", () =>
    Effect.gen(function*() {
      let attempts = 0
      const S = step("slow", {
        output: Schema.Number,
        timeout: "1 second",
        retry: Schedule.recurs(1),
        run: () => Effect.as(Effect.sync(() => attempts++).pipe(Effect.zipRight(Effect.never)), 1)
      })
      const fiber = yield* Effect.fork(one(Graph.unsafeMake(S)))
      yield* TestClock.adjust("1 second")
      expect(attempts).toBe(2)
      yield* TestClock.adjust("1 second")
      const r = yield* Fiber.join(fiber)
      const o = r.outcomes.slow
      expect(o._tag).toBe("Failed")
      if (o._tag === "Failed") {
        expect(o.error).toBeInstanceOf(EngineError.StepTimeout)
        expect(o.error.message).toBe("step \"slow\" timed out after 1000 ms")
      }
    }))
})

describe("Engine: outcomes", () => {
  const A = step("a", { output: Schema.String, run: ({ target }) => Effect.succeed(target.toUpperCase()) })
  const B = step("b", { needs: { a: A }, output: Schema.Number, run: ({ a }) => Effect.succeed(a.length) })
  const Opt = step("opt", {
    output: Schema.String,
    dependants: "absent",
    run: ({ target }) => target === "bad" ? Effect.fail("nope" as const) : Effect.succeed(`opt:${target}`)
  })
  const C = step("c", {
    needs: { b: B, opt: Opt },
    output: Schema.String,
    run: ({ b, opt }) => Effect.succeed(`${b}|${Option.getOrElse(opt, () => "absent")}`)
  })
  const G = Graph.unsafeMake(A, B, Opt, C)

  it.effect("runs dependants with an absent input when a step with dependants: absent fails", () =>
    Effect.gen(function*() {
      const good = yield* one(G, "good")
      expect(good.state).toBe("succeeded")
      expect(good.outcomes.c).toMatchObject({ _tag: "Succeeded", output: "4|opt:good" })
      const bad = yield* one(G, "bad")
      expect(bad.state).toBe("partial")
      expect(bad.outcomes.opt).toMatchObject({ _tag: "Failed", error: "nope" })
      expect(bad.outcomes.c).toMatchObject({ _tag: "Succeeded", output: "3|absent" })
    }))

  it.effect("skip disables a step and skips its dependants with reason upstream; only keeps just the named steps", () =>
    Effect.gen(function*() {
      const r = yield* one(G, "x", { skip: ["b"] })
      expect(r.outcomes.b).toMatchObject({ _tag: "Skipped", reason: "disabled" })
      expect(r.outcomes.c).toMatchObject({ _tag: "Skipped", reason: "upstream" })
      expect(r.outcomes.a._tag).toBe("Succeeded")
      expect(r.state).toBe("partial")
      const o = yield* one(G, "x", { only: ["a", "opt"] })
      expect([o.outcomes.a._tag, o.outcomes.opt._tag, o.outcomes.b._tag, o.outcomes.c._tag]).toEqual([
        "Succeeded",
        "Succeeded",
        "Skipped",
        "Skipped"
      ])
      expect(o.state).toBe("succeeded")
    }))

  it.effect("rejects unknown step names and a bad concurrency before running anything", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Engine.run(G, Stream.make("x"), { skip: ["crawll"] }))
      expect(e).toMatchObject({ _tag: "GraphError", reason: "UnknownStep", steps: ["crawll"] })
      const c = yield* Effect.flip(Engine.run(G, Stream.make("x"), { concurrency: 0 }))
      expect(c.reason).toBe("InvalidOption")
    }))

  it.effect("a defect fails only that step of that target; other targets go on", () =>
    Effect.gen(function*() {
      const D = step("d", {
        output: Schema.Number,
        run: ({ target }) => target === "boom" ? Effect.sync(() => JSON.parse("{")) : Effect.succeed(1)
      })
      const rs = yield* collect(Engine.stream(Graph.unsafeMake(D), Stream.make("ok", "boom", "ok2")))
      const byId = Object.fromEntries(rs.map((r) => [r.targetId, r]))
      expect(byId.ok!.state).toBe("succeeded")
      expect(byId.ok2!.state).toBe("succeeded")
      expect(byId.boom!.state).toBe("failed")
      expect(byId.boom!.outcomes.d).toMatchObject({ _tag: "Failed", error: { _tag: "StepDefect", step: "d" } })
    }))
})

describe("Engine: budgets", () => {
  it.effect("skips with reason budget once the cap is spent, commits what the output says was used", () =>
    Effect.gen(function*() {
      const Paid = step("paid", {
        output: Schema.Number,
        budget: { name: "credits", units: 3, used: (n) => n },
        run: ({ target }) => Effect.succeed(target.length)
      })
      const After = step("after", { needs: { paid: Paid }, output: Schema.Number, run: ({ paid }) => Effect.succeed(paid) })
      const ledger = yield* BudgetLedger.makeMemory({ caps: { credits: 6 } })
      const summary = yield* Engine.run(Graph.unsafeMake(Paid, After), Stream.make("ab", "c", "def", "g"), { concurrency: 1 }).pipe(
        Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
      )
      // "ab" reserves 3 and commits 2, "c" reserves 3 (5 of 6) and commits 1, "def" reserves 3 (6 of 6)
      // and commits 3; "g" cannot reserve 3 more: skipped.
      expect(summary.targets).toEqual({ total: 4, succeeded: 3, partial: 1, failed: 0 })
      expect(summary.steps[0]).toMatchObject({ step: "paid", succeeded: 3, skipped: { budget: 1 }, budgetUnits: 6 })
      expect(summary.steps[1]).toMatchObject({ step: "after", skipped: { upstream: 1 } })
      expect(summary.budgets).toEqual({ credits: 6 })
      expect(yield* ledger.usage("credits")).toEqual({ budget: "credits", cap: 6, reserved: 0, committed: 6 })
    }))

  it.effect("a bad unit count or a throwing used() fails the step as a defect and leaves nothing reserved", () =>
    Effect.gen(function*() {
      const ledger = yield* BudgetLedger.makeMemory({ caps: { credits: 10 } })
      const Negative = step("negative", { output: Schema.Number, budget: { name: "credits", units: () => -1 }, run: () => Effect.succeed(1) })
      const Throws = step("throws", {
        output: Schema.Number,
        budget: { name: "credits", units: 2, used: () => { throw new Error("bad meter") } },
        run: () => Effect.succeed(1)
      })
      const r = yield* one(Graph.unsafeMake(Negative, Throws)).pipe(
        Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
      )
      expect(r.outcomes.negative).toMatchObject({ _tag: "Failed", error: { _tag: "StepDefect", step: "negative" } })
      expect(r.outcomes.throws).toMatchObject({ _tag: "Failed", error: { _tag: "StepDefect", step: "throws" } })
      expect(yield* ledger.usage("credits")).toMatchObject({ reserved: 0, committed: 2 })
    }))

  it.effect("a BudgetExhausted raised inside a handler is a budget skip, not a failure", () =>
    Effect.gen(function*() {
      const Inner = step("inner", {
        output: Schema.Number,
        run: () => Budget.withReservation("vendor", 1, () => Effect.succeed(1)).pipe(Effect.provide(Budget.layerMemory({})))
      })
      const r = yield* one(Graph.unsafeMake(Inner))
      expect(r.outcomes.inner).toMatchObject({ _tag: "Skipped", reason: "budget" })
    }))

  class AfterPaying extends Data.TaggedError("AfterPaying") {}
  it.effect("the paid calls of a step draw on its reservation, and what they cost is committed also when the step fails", () =>
    Effect.gen(function*() {
      const ledger = yield* BudgetLedger.makeMemory({ caps: { credits: 100 } })
      const reserved: Array<number> = []
      const call = (n: number) =>
        Budget.metered("credits", Effect.tap(Effect.succeed(n), () =>
          Effect.flatMap(ledger.usage("credits"), (u) => Effect.sync(() => void reserved.push(u.reserved)))), {
          units: 5,
          used: (a) => a
        })
      const Paid = step("paid", {
        output: Schema.Number,
        budget: { name: "credits", units: 10, metered: true },
        run: ({ target }) =>
          Effect.gen(function*() {
            yield* call(1)
            if (target === "bad") return yield* new AfterPaying()
            return yield* call(2)
          })
      })
      const Cached = step("cached", {
        output: Schema.Number,
        budget: { name: "credits", units: 10, metered: true },
        run: () => Effect.succeed(0)
      })
      const rs = yield* Stream.runCollect(Engine.stream(Graph.unsafeMake(Paid, Cached), Stream.make("ok", "bad"))).pipe(
        Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
      )
      const [ok, bad] = [...rs].sort((a, b) => a.targetId.localeCompare(b.targetId)).reverse()
      // each call saw only its step's draws held: no reservation of its own
      expect(reserved.every((r) => r <= 40 && r % 10 === 0)).toBe(true)
      expect(ok!.outcomes.paid).toMatchObject({ _tag: "Succeeded", budget: { name: "credits", units: 3, calls: 2 } })
      // the failed step's outcome keeps what its draw committed, and its call
      expect(bad!.outcomes.paid).toMatchObject({ _tag: "Failed", budget: { name: "credits", units: 1, calls: 1 } })
      expect(ok!.outcomes.cached).toMatchObject({ _tag: "Succeeded", budget: { name: "credits", units: 0, calls: 0 } })
      // ok: 1 + 2; bad: the 1 it was charged before failing; the cached steps: nothing
      expect(yield* ledger.usage("credits")).toMatchObject({ reserved: 0, committed: 4 })
      // the run's summary counts the failed step's spend too
      const summary = RunSummary.accumulator("r", ["paid", "cached"], 0)
      for (const r of rs) summary.add(r.state, [r.outcomes.paid, r.outcomes.cached])
      expect(summary.finish(1).budgets).toEqual({ credits: 4 })
    }))

  it.effect("interrupting a run gives every reservation back", () =>
    Effect.gen(function*() {
      const Hang = step("hang", {
        output: Schema.Number,
        budget: { name: "credits", units: 2 },
        run: () => Effect.as(Effect.sleep("1 hour"), 1)
      })
      const ledger = yield* BudgetLedger.makeMemory({ caps: { credits: 100 } })
      const fiber = yield* Effect.fork(
        Engine.run(Graph.unsafeMake(Hang), Stream.make("a", "b", "c"), { concurrency: 3 }).pipe(
          Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
        )
      )
      yield* TestClock.adjust("1 minute")
      expect((yield* ledger.usage("credits")).reserved).toBe(6)
      yield* Fiber.interrupt(fiber)
      expect(yield* ledger.usage("credits")).toMatchObject({ reserved: 0, committed: 0 })
    }))
})

describe("Engine: checkpoints and caches", () => {
  it.effect("a re-run of the same run id restores succeeded steps and runs only the rest", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      let failOnce = true
      const A = step("a", {
        output: Schema.Struct({ n: Schema.NumberFromString }),
        run: ({ target }) => Effect.sync(() => (calls.push(`a:${target}`), { n: target.length }))
      })
      const B = step("b", {
        needs: { a: A },
        output: Schema.Number,
        run: ({ a, target }) =>
          Effect.suspend(() => {
            calls.push(`b:${target}`)
            if (failOnce) {
              failOnce = false
              return Effect.fail("transient" as const)
            }
            return Effect.succeed(a.n * 10)
          })
      })
      const G = Graph.unsafeMake(A, B)
      const store = yield* Checkpoint.makeMemory
      const run = (runId: string) =>
        collect(Engine.stream(G, Stream.make("xy"), { runId })).pipe(Effect.provideService(Checkpoint.Checkpoint, store))
      const first = yield* run("r1")
      expect(first[0]!.state).toBe("partial")
      const second = yield* run("r1")
      expect(calls).toEqual(["a:xy", "b:xy", "b:xy"])
      expect(second[0]!.outcomes.a).toMatchObject({ _tag: "Succeeded", restored: true, output: { n: 2 } })
      expect(second[0]!.outcomes.b).toMatchObject({ _tag: "Succeeded", restored: false, output: 20 })
      // the checkpoint holds the encoded form
      expect(yield* store.load({ runId: "r1", targetId: "xy", step: "a" })).toEqual(Option.some({ n: "2" }))
      yield* run("r2")
      expect(calls).toEqual(["a:xy", "b:xy", "b:xy", "a:xy", "b:xy"])
    }))

  it.effect("a cache key reuses an output across runs, skipping with reason cached", () =>
    Effect.gen(function*() {
      let paid = 0
      const Rationale = step("rationale", {
        output: Schema.String,
        cacheKey: ({ target }) => target.toLowerCase(),
        run: ({ target }) => Effect.sync(() => (paid++, `why ${target}`))
      })
      const Use = step("use", { needs: { r: Rationale }, output: Schema.String, run: ({ r }) => Effect.succeed(r) })
      const store = yield* Checkpoint.makeMemory
      const rs = yield* collect(Engine.stream(Graph.unsafeMake(Rationale, Use), Stream.make("A", "a"), { concurrency: 1 })).pipe(
        Effect.provideService(Checkpoint.Checkpoint, store)
      )
      expect(paid).toBe(1)
      expect(rs[1]!.outcomes.rationale).toMatchObject({ _tag: "Skipped", reason: "cached", output: "why A" })
      expect(rs[1]!.outcomes.use).toMatchObject({ _tag: "Succeeded", output: "why A" })
      expect(rs[1]!.state).toBe("succeeded")
    }))
})

describe("Engine: dry run, events and summary", () => {
  const Crawl = step("crawl", { output: Schema.String, run: ({ target }) => Effect.as(Effect.sleep("10 millis"), target) })
  const Llm = step("llm", {
    needs: { crawl: Crawl },
    output: Schema.Number,
    budget: { name: "tokens", units: ({ crawl }) => crawl.length * 100, estimate: (t) => t.length * 100 },
    run: ({ crawl }) => Effect.as(Effect.sleep(`${crawl.length * 10} millis`), crawl.length)
  })
  const Lusha = step("lusha", { needs: { crawl: Crawl }, output: Schema.Number, budget: { name: "lookups", units: 1 }, run: () => Effect.succeed(1) })
  const G = Graph.unsafeMake(Crawl, Llm, Lusha)

  it.effect("plans which steps would run and what they would draw, without running anything", () =>
    Effect.gen(function*() {
      const plans = yield* collect(Engine.plan(G, Stream.make("ab", "abcd"), { skip: ["crawl"], runId: "p" }))
      expect(plans[0]!.steps).toEqual([
        { step: "crawl", action: "disabled", budget: undefined },
        { step: "llm", action: "upstream", budget: { name: "tokens", units: 200, calls: 1 } },
        { step: "lusha", action: "upstream", budget: { name: "lookups", units: 1, calls: 1 } }
      ])
      const full = yield* collect(Engine.plan(G, Stream.make("ab", "abcd")))
      expect(Engine.forecast(full)).toEqual({
        tokens: { units: 600, calls: 2, unknown: 0, steps: 2 },
        lookups: { units: 2, calls: 2, unknown: 0, steps: 2 }
      })
    }))

  it.effect("an estimate may be an effect reading what the caller of the plan provides, and give units and calls", () =>
    Effect.gen(function*() {
      class Known extends Context.Tag("test/Known")<Known, ReadonlySet<string>>() {}
      const Search = step("search", {
        output: Schema.Number,
        budget: {
          name: "queries",
          units: () => Effect.succeed(2),
          estimate: (t) =>
            Effect.map(Effect.serviceOption(Known), (known) =>
              Option.isSome(known) && known.value.has(t) ? { units: 0, calls: 0 } : { units: 2, calls: 2 })
        },
        run: () => Effect.succeed(1)
      })
      const graph = Graph.unsafeMake(Search)
      const targets = Stream.make("a", "b", "c")
      expect(Engine.forecast(yield* collect(Engine.plan(graph, targets)))).toEqual({
        queries: { units: 6, calls: 6, unknown: 0, steps: 3 }
      })
      const plans = yield* collect(Engine.plan(graph, targets)).pipe(Effect.provideService(Known, new Set(["a", "c"])))
      expect(Engine.forecast(plans)).toEqual({ queries: { units: 2, calls: 2, unknown: 0, steps: 3 } })
    }))

  it.effect("publishes step and target events and summarises p50/p90/max per step", () =>
    Effect.gen(function*() {
      const events: Array<Events.Event> = []
      const fiber = yield* Effect.fork(
        Engine.run(G, Stream.make("a", "ab", "abc", "abcd"), { concurrency: 4, runId: "s" }).pipe(
          Effect.provide(Layer.mergeAll(
            Events.layer((e) => Effect.sync(() => void events.push(e))),
            Budget.layerMemory({ tokens: 1000, lookups: 3 })
          ))
        )
      )
      const summary = yield* drive(fiber)
      expect(events.filter((e) => e._tag === "StepStarted")).toHaveLength(4 + 4 + 3)
      expect(events.filter((e) => e._tag === "StepFinished")).toHaveLength(12)
      expect(events.filter((e) => e._tag === "TargetFinished")).toHaveLength(4)
      expect(events[0]!._tag).toBe("RunStarted")
      expect(events.at(-1)).toMatchObject({ _tag: "RunFinished", runId: "s", summary })
      expect(summary.targets).toEqual({ total: 4, succeeded: 3, partial: 1, failed: 0 })
      const llm = summary.steps.find((s) => s.step === "llm")!
      expect(llm).toMatchObject({ succeeded: 4, executed: 4, p50Millis: 20, p90Millis: 40, maxMillis: 40, budgetUnits: 1000 })
      expect(summary.steps.find((s) => s.step === "lusha")).toMatchObject({ succeeded: 3, skipped: { budget: 1 } })
      expect(summary.wallMillis).toBe(50)
    }))

  it.effect("pulls targets lazily: never more than concurrency in flight", () =>
    Effect.gen(function*() {
      let pulled = 0
      const targets = Stream.range(1, 1000).pipe(Stream.rechunk(1), Stream.map(String), Stream.tap(() => Effect.sync(() => pulled++)))
      const fiber = yield* Effect.fork(Engine.run(G, targets, { concurrency: 5 }).pipe(Effect.provide(Budget.layerMemory({}, { unlisted: "unlimited" }))))
      yield* TestClock.adjust("5 millis")
      expect(pulled).toBeLessThanOrEqual(7)
      yield* Fiber.interrupt(fiber)
    }))
})

describe("Engine: the target stream", () => {
  const Slow = step("slow", { output: Schema.String, run: ({ target }) => Effect.as(Effect.sleep("1 second"), target) })

  it.effect("a consumer that stops early ends the run and its in-flight steps", () =>
    Effect.gen(function*() {
      let started = 0
      const Count = step("count", { output: Schema.Number, run: () => Effect.sync(() => ++started) })
      const taken = yield* collect(Engine.stream(Graph.unsafeMake(Count), Stream.range(1, 10_000).pipe(Stream.map(String)), { concurrency: 4 }).pipe(Stream.take(3)))
      expect(taken).toHaveLength(3)
      expect(started).toBeLessThan(100)
    }))

  it.effect("a failing target stream fails the run with its error, after the targets already pulled", () =>
    Effect.gen(function*() {
      const targets = Stream.concat(Stream.make("a", "b"), Stream.fail("source down" as const))
      const fiber = yield* Effect.fork(Effect.flip(Engine.run(Graph.unsafeMake(Slow), targets, { concurrency: 1 })))
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(fiber)).toBe("source down")
    }))
})

describe("Engine.run typing", () => {
  it("requires the services its steps need", () => {
    const S = step("s", { output: Schema.Number, budget: { name: "x", units: 1 }, run: () => Effect.succeed(1) })
    const eff = Engine.run(Graph.unsafeMake(S), Stream.make("a"))
    // @ts-expect-error Budget is required
    // @effect-diagnostics-next-line missingEffectContext:off -- the point of this line: the type error is expected
    const _noBudget: Effect.Effect<unknown, unknown, never> = eff
    const ok: Effect.Effect<unknown, unknown, never> = eff.pipe(Effect.provide(Budget.layerMemory({ x: 1 })))
    expect(Either.isRight(Either.right(ok))).toBe(true)
  })
})
