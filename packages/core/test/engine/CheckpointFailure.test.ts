/**
 * A step whose checkpoint cannot be written: the write is retried on
 * `Checkpoint.saveRetry`; when every attempt fails, the step fails with
 * `CheckpointFailed`, its target stops (later steps skipped) and ends
 * `failed`, and the vendor answer the step paid for stays in `PaidResults`
 * under the run's id (the engine sets `Checkpoint.currentRunId`): the resume
 * finds it and does not pay again; another run does. A write that fails and then
 * succeeds costs nothing but the retries. Time is the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Checkpoint, Engine, Events, Graph, PaidResults, Step } from "@leadgraph/core"
import { Chunk, Effect, Fiber, Layer, Schema, Stream, TestClock } from "effect"

const step = Step.forTarget<string>()

/** A checkpoint store over memory whose writes of `failing` steps fail the first `failures` times. */
const flakyStore = (inner: Checkpoint.Service, failing: string, failures: number) => {
  const attempts = { n: 0 }
  const store: Checkpoint.Service = {
    ...inner,
    save: (key, encoded) =>
      Effect.suspend(() => {
        if (key.step !== failing) return inner.save(key, encoded)
        return ++attempts.n <= failures
          ? Effect.fail(new Checkpoint.CheckpointError({ operation: "save", cause: new Error("disk full") }))
          : inner.save(key, encoded)
      })
  }
  return { store, attempts }
}

/** The vendor's answers, kept for the run that paid for them. */
const answers = PaidResults.kind("vendor.answer/v1", Schema.Number)

/** A paid vendor behind the paid results store: counts the calls it was paid for. */
const makeVendor = Effect.map(PaidResults.makeMemory, (results) => {
  const calls = { n: 0 }
  const ask = (question: string) =>
    Effect.map(
      PaidResults.cached(results, answers, question, (remember) => remember(Effect.sync(() => ++calls.n * 10))),
      (r) => r.value
    )
  return { ask, calls }
})

const graphOf = (ask: (question: string) => Effect.Effect<number>) => {
  const Crawl = step("crawl", { output: Schema.String, run: ({ target }) => Effect.succeed(`${target}.example`) })
  const Paid = step("paid", { needs: { crawl: Crawl }, output: Schema.Number, run: ({ crawl }) => ask(crawl) })
  const After = step("after", { needs: { paid: Paid }, output: Schema.Number, run: ({ paid }) => Effect.succeed(paid + 1) })
  return Graph.unsafeMake(Crawl, Paid, After)
}

const runOnce = (graph: ReturnType<typeof graphOf>, store: Checkpoint.Service, runId: string) =>
  Effect.gen(function*() {
    const events: Array<Events.Event> = []
    const fiber = yield* Effect.fork(
      Stream.runCollect(Engine.stream(graph, Stream.make("acme"), { runId })).pipe(
        Effect.provide(Layer.merge(
          Layer.succeed(Checkpoint.Checkpoint, store),
          Events.layer((e) => Effect.sync(() => void events.push(e)))
        ))
      )
    )
    yield* TestClock.adjust("1 minute")
    const [result] = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
    return { result: result!, events }
  })

describe("Engine: a checkpoint that cannot be written", () => {
  it.effect("is retried, then the step fails with CheckpointFailed, the target fails, and the resume pays nothing", () =>
    Effect.gen(function*() {
      const vendor = yield* makeVendor
      const graph = graphOf(vendor.ask)
      const memory = yield* Checkpoint.makeMemory
      const broken = flakyStore(memory, "paid", Infinity)

      const { events, result } = yield* runOnce(graph, broken.store, "run-1")
      expect(broken.attempts.n).toBe(5)
      expect(vendor.calls.n).toBe(1)
      expect(result.state).toBe("failed")
      expect(result.outcomes.crawl).toMatchObject({ _tag: "Succeeded" })
      const failed = result.outcomes.paid
      expect(failed).toMatchObject({ _tag: "Failed" })
      const error = failed._tag === "Failed" ? failed.error : undefined
      expect(error).toBeInstanceOf(Checkpoint.CheckpointFailed)
      expect(error).toMatchObject({ _tag: "CheckpointFailed", step: "paid", targetId: "acme", attempts: 5, retryable: false })
      expect(result.outcomes.after).toMatchObject({ _tag: "Skipped", reason: "upstream" })
      expect(events.filter((e) => e._tag === "StepFinished" && e.step === "paid")).toMatchObject([
        { outcome: "Failed", error: { _tag: "CheckpointFailed" } }
      ])
      expect(events.find((e) => e._tag === "TargetFinished")).toMatchObject({ state: "failed" })

      // the resume (same run, the store working again): crawl is restored, the
      // paid step runs again but finds its answer kept, so the vendor is not paid
      const { result: resumed } = yield* runOnce(graph, memory, "run-1")
      expect(resumed.state).toBe("succeeded")
      expect(resumed.outcomes.crawl).toMatchObject({ _tag: "Succeeded", restored: true })
      expect(resumed.outcomes.paid).toMatchObject({ _tag: "Succeeded", restored: false, output: 10 })
      expect(resumed.outcomes.after).toMatchObject({ _tag: "Succeeded", output: 11 })
      expect(vendor.calls.n).toBe(1)
      // another run asks the vendor again
      const { result: other } = yield* runOnce(graph, memory, "run-1b")
      expect(other.outcomes.paid).toMatchObject({ _tag: "Succeeded", output: 20 })
      expect(vendor.calls.n).toBe(2)
    }))

  it.effect("a write that fails twice and then succeeds: the step succeeds, once paid", () =>
    Effect.gen(function*() {
      const vendor = yield* makeVendor
      const memory = yield* Checkpoint.makeMemory
      const flaky = flakyStore(memory, "paid", 2)
      const { result } = yield* runOnce(graphOf(vendor.ask), flaky.store, "run-2")
      expect(flaky.attempts.n).toBe(3)
      expect(result.state).toBe("succeeded")
      expect(result.outcomes.paid).toMatchObject({ _tag: "Succeeded", output: 10 })
      expect(vendor.calls.n).toBe(1)
      expect(yield* memory.load({ runId: "run-2", targetId: "acme", step: "paid" })).toMatchObject({ _tag: "Some", value: 10 })
    }))

  it.effect("retries on Checkpoint.saveRetry: 200 ms, then doubling, four times", () =>
    Effect.gen(function*() {
      const vendor = yield* makeVendor
      const memory = yield* Checkpoint.makeMemory
      const broken = flakyStore(memory, "paid", Infinity)
      const fiber = yield* Effect.fork(
        Stream.runCollect(Engine.stream(graphOf(vendor.ask), Stream.make("acme"), { runId: "run-3" })).pipe(
          Effect.provideService(Checkpoint.Checkpoint, broken.store)
        )
      )
      const seen: Array<number> = []
      for (const millis of [0, 200, 400, 800, 1600]) {
        yield* TestClock.adjust(`${millis} millis`)
        seen.push(broken.attempts.n)
      }
      expect(seen).toEqual([1, 2, 3, 4, 5])
      yield* Fiber.join(fiber)
    }))
})
