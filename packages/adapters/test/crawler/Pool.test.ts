import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, Exit, Fiber, Option, Scope, TestClock } from "effect"
import { threadId } from "node:worker_threads"
import * as WorkerPool from "../../src/crawler/internal/pool.js"
import { handle, type SpinResult, type SpinTask } from "./workers/tasks.js"

const script = new URL("./workers/spin.ts", import.meta.url)

const makePool = (size: number, timeout: Duration.DurationInput = "1 hour") =>
  WorkerPool.make<SpinTask, SpinResult>({ size, script, timeout, inline: handle })

const echo = (value: string): SpinTask => ({ kind: "echo", value })

// Node 20 has Atomics.waitAsync; the ES2022 lib does not declare it.
type WaitAsync = (array: Int32Array, index: number, value: number) =>
  | { readonly async: false; readonly value: string }
  | { readonly async: true; readonly value: Promise<string> }
const waitAsync = (Atomics as unknown as { readonly waitAsync: WaitAsync }).waitAsync

/** A spin task, and an effect that waits (on the flag, not the clock) until a thread runs it. */
const spinning = () => {
  const started = new Int32Array(new SharedArrayBuffer(4))
  const task: SpinTask = { kind: "spin", started }
  const running = Effect.promise(async () => {
    const wait = waitAsync(started, 0, 0)
    if (wait.async) await wait.value
  })
  return { task, running }
}

describe("WorkerPool", () => {
  it.scoped("a task past its deadline fails with TaskTimeout when the clock passes it, and its thread is terminated", () =>
    Effect.gen(function*() {
      const pool = yield* makePool(1, "1 second")
      const first = yield* pool.run(echo("warm"))
      const [thread] = yield* pool.workers
      expect(thread!.threadId).toBe(first.threadId)
      const spin = spinning()
      const fiber = yield* Effect.fork(pool.run(spin.task))
      yield* spin.running
      yield* TestClock.adjust("999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("TaskTimeout")
      expect(error.message).toBe("worker task exceeded 1s")
      expect(thread!.threadId).toBe(-1)
      expect(yield* pool.workers).toEqual([])
    }))

  it.scoped("a timed-out thread is replaced: the task queued behind it succeeds on a fresh thread", () =>
    Effect.gen(function*() {
      const pool = yield* makePool(1, "1 second")
      const before = yield* pool.run(echo("before"))
      const spin = spinning()
      const stuck = yield* Effect.fork(pool.run(spin.task))
      yield* spin.running
      // queued behind the stuck task: its own deadline has not started
      const queued = yield* Effect.fork(pool.run(echo("queued")))
      yield* TestClock.adjust("1 second")
      expect((yield* Effect.flip(Fiber.join(stuck)))._tag).toBe("TaskTimeout")
      const after = yield* Fiber.join(queued)
      expect(after.value).toBe("queued")
      expect(after.threadId).not.toBe(before.threadId)
      expect((yield* pool.workers).map((w) => w.threadId)).toEqual([after.threadId])
    }))

  it.scopedLive("interrupting the caller terminates its busy thread at once, without waiting for the task", () =>
    Effect.gen(function*() {
      const pool = yield* makePool(1)
      const spin = spinning()
      const fiber = yield* Effect.fork(pool.run(spin.task))
      yield* spin.running
      const [thread] = yield* pool.workers
      // the task never ends: the interruption completes only because the thread is terminated
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(thread!.threadId).toBe(-1)
      const next = yield* pool.run(echo("next"))
      expect(next.value).toBe("next")
    }))

  it.scopedLive("a thread that throws keeps running; a thread that exits or crashes fails only its own task", () =>
    Effect.gen(function*() {
      const pool = yield* makePool(2)
      const first = yield* pool.run(echo("a"))
      const thrown = yield* Effect.flip(pool.run({ kind: "throw", message: "bad page" }))
      expect(thrown).toMatchObject({ _tag: "TaskFailed", reason: "bad page" })
      expect((yield* pool.run(echo("b"))).threadId).toBe(first.threadId)

      const results = yield* Effect.all([
        Effect.either(pool.run({ kind: "exit", code: 3 })),
        Effect.either(pool.run({ kind: "crash", message: "boom" })),
        ...["c", "d", "e", "f"].map((v) => Effect.either(pool.run(echo(v))))
      ], { concurrency: "unbounded" })
      const [exited, crashed, ...echoes] = results
      expect(exited).toMatchObject({ _tag: "Left", left: { _tag: "WorkerCrashed", exitCode: 3 } })
      expect(crashed).toMatchObject({ _tag: "Left", left: { _tag: "WorkerCrashed" } })
      expect(String(crashed!._tag === "Left" ? crashed!.left.cause : "")).toContain("boom")
      expect(echoes.map((e) => e._tag === "Right" ? e.right.value : e.left._tag)).toEqual(["c", "d", "e", "f"])
      expect((yield* pool.run(echo("g"))).value).toBe("g")
    }))

  it.scopedLive("more tasks than threads queue and all complete, on at most `size` threads started on demand", () =>
    Effect.gen(function*() {
      const pool = yield* makePool(2)
      expect(yield* pool.workers).toEqual([])
      const values = Array.from({ length: 24 }, (_, i) => `task ${i}`)
      const results = yield* Effect.forEach(values, (v) => pool.run(echo(v)), { concurrency: "unbounded" })
      expect(results.map((r) => r.value)).toEqual(values)
      expect(new Set(results.map((r) => r.threadId)).size).toBeLessThanOrEqual(2)
      expect(results.every((r) => r.threadId !== threadId)).toBe(true)
      expect((yield* pool.workers).length).toBeLessThanOrEqual(2)
    }))

  it.scopedLive("a body is transferred whole: the worker gets every byte, the caller's view is detached", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool.make<SpinTask, SpinResult>({
        size: 1,
        script,
        timeout: "1 hour",
        inline: handle,
        prepare: (task) => ({ task, transfer: task.kind === "bytes" ? [task.body.buffer as ArrayBuffer] : [] })
      })
      const body = new Uint8Array(100_000).fill(7)
      const result = yield* pool.run({ kind: "bytes", body })
      expect(result.value).toBe("100000")
      expect(body.length).toBe(0)
    }))

  it.scopedLive("closing the scope terminates every thread; the pool then refuses work", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Scope.extend(makePool(2), scope)
      const spin = spinning()
      yield* Effect.fork(pool.run(spin.task))
      yield* spin.running
      yield* pool.run(echo("other thread"))
      const threads = yield* pool.workers
      expect(threads.length).toBe(2)
      yield* Scope.close(scope, Exit.void)
      expect(threads.map((t) => t.threadId)).toEqual([-1, -1])
      expect(yield* pool.workers).toEqual([])
      const refused = yield* Effect.flip(pool.run(echo("late")))
      expect(refused).toMatchObject({ _tag: "WorkerCrashed", cause: "the pool is closed" })
    }))

  it.effect("size 0 runs tasks on the calling thread, with no threads and no deadline", () =>
    Effect.gen(function*() {
      const pool = yield* Effect.scoped(makePool(0, "1 millis"))
      const result = yield* pool.run(echo("here"))
      expect(result).toEqual({ value: "here", threadId })
      expect(yield* pool.workers).toEqual([])
      const thrown = yield* Effect.flip(pool.run({ kind: "throw", message: "in thread" }))
      expect(thrown).toMatchObject({ _tag: "TaskFailed", reason: "in thread" })
    }))

  it.effect("a size that is not a whole number >= 0 is a defect", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(makePool(-1)))
      expect(Exit.isFailure(exit) && !Exit.isInterrupted(exit)).toBe(true)
    }))
})
