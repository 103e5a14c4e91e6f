/**
 * A small pool of worker threads (`node:worker_threads`) for CPU-bound work
 * under a deadline, owned by a `Scope`.
 *
 * - `size` slots; a slot starts its thread on first use, so a pool nobody
 *   uses costs nothing. Idle threads are `unref`ed: they never keep the
 *   process alive. Closing the scope terminates every thread.
 * - `run(task)` waits for an idle slot (a `Semaphore` permit), posts the task
 *   and waits for the reply. Only the reply has a deadline (Effect's clock,
 *   so `TestClock` drives it): neither waiting for a slot nor a thread's
 *   start-up counts.
 * - A thread past its deadline, or whose caller was interrupted, is busy in
 *   code that will not read another message, so it is terminated at once
 *   (`worker.terminate()` stops even a thread spinning in a loop) and its
 *   slot starts a fresh one on next use. So is a thread that crashed or
 *   exited. A task that threw leaves its thread in place.
 * - With `size: 0` there are no threads: tasks run on the calling thread, in
 *   the calling fiber, and nothing can stop one that never ends (no deadline).
 *
 * The worker script registers a `message` listener on `parentPort`, runs each
 * task it receives and posts back one {@link Reply} per task. The pool loads
 * it through a small boot script (`eval`) that imports it and then posts
 * `{ _tag: "Ready" }`; a `.ts` script is loaded through tsx's loader, which
 * a worker does not inherit.
 *
 * @internal
 */
import { Cause, Data, Duration, Effect, Exit } from "effect"
import type { Scope } from "effect"
import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"
import { type TransferListItem, Worker } from "node:worker_threads"

/** The task ran past its deadline; its thread was terminated. @internal */
export class TaskTimeout extends Data.TaggedError("TaskTimeout")<{
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `worker task exceeded ${Duration.format(this.timeout)}`
  }
}

/** The thread crashed, exited or could not start while it held the task. @internal */
export class WorkerCrashed extends Data.TaggedError("WorkerCrashed")<{
  readonly cause: unknown
  readonly exitCode?: number | undefined
}> {
  override get message(): string {
    return this.exitCode === undefined ? `worker crashed: ${String(this.cause)}` : `worker exited with code ${this.exitCode}`
  }
}

/** The task threw inside the worker (the thread is kept). @internal */
export class TaskFailed extends Data.TaggedError("TaskFailed")<{
  readonly reason: string
}> {
  override get message(): string {
    return `worker task failed: ${this.reason}`
  }
}

/** @internal */
export type PoolError = TaskTimeout | WorkerCrashed | TaskFailed

/** What the worker script posts back for each task it receives. @internal */
export type Reply<O> =
  | { readonly _tag: "Done"; readonly value: O }
  | { readonly _tag: "Failed"; readonly message: string }

/** @internal */
export interface Options<I, O> {
  /** Threads; `0` runs tasks on the calling thread with `inline`, with no deadline. */
  readonly size: number
  /** The worker script: a file URL or path; `.ts` is loaded with tsx. */
  readonly script: URL | string
  /** Deadline of one task, from posting it to its reply. */
  readonly timeout: Duration.DurationInput
  /** The task's function, for `size: 0`. */
  readonly inline: (task: I) => O
  /** The message to post and what to transfer with it (default: the task, nothing transferred). */
  readonly prepare?: ((task: I) => { readonly task: I; readonly transfer: ReadonlyArray<TransferListItem> }) | undefined
}

/** @internal */
export interface Pool<I, O> {
  readonly run: (task: I) => Effect.Effect<O, PoolError>
  /** The threads that have not exited yet. */
  readonly workers: Effect.Effect<ReadonlyArray<Worker>>
}

type Event =
  | { readonly _tag: "Message"; readonly message: unknown }
  | { readonly _tag: "Error"; readonly error: unknown }
  | { readonly _tag: "Exit"; readonly code: number }

interface Slot {
  worker: Worker | undefined
  ready: boolean
  /** Who waits for this slot's next event (one waiter at most). */
  listener: ((event: Event) => void) | undefined
}

const tagOf = (message: unknown): unknown =>
  typeof message === "object" && message !== null && "_tag" in message ? message._tag : undefined

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

/**
 * The URL of tsx's ESM loader API, resolved from here: an `eval` worker would
 * resolve a bare name from the working directory, and `require.resolve` gives
 * the CommonJS build, which cannot register the loader.
 */
const tsxApi = (): string => {
  try {
    const require = createRequire(import.meta.url)
    const manifest = require.resolve("tsx/package.json")
    type Exports = Record<string, { readonly import: { readonly default: string } } | undefined>
    const { exports } = require(manifest) as { readonly exports: Exports }
    return new URL(exports["./esm/api"]!.import.default, pathToFileURL(manifest)).href
  } catch {
    return "tsx/esm/api"
  }
}

/** The `eval` code of a worker: load the script (with tsx for `.ts`), then say it is ready. @internal */
export const bootCode = (script: URL | string): string => {
  const url = typeof script === "string" && !/^[a-z][a-z0-9+.-]*:/i.test(script) ? pathToFileURL(script) : new URL(script)
  const entry = JSON.stringify(url.href)
  const load = /\.[cm]?ts$/.test(url.pathname)
    ? `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${entry}) })`
    : `import(${entry})`
  // no `require`: eval code is a module when the process runs with --input-type=module
  return `Promise.all([import("node:worker_threads"), ${load}])` +
    `.then(([threads]) => threads.parentPort.postMessage({ _tag: "Ready" }))`
}

const crashed = (event: Event): WorkerCrashed =>
  event._tag === "Exit"
    ? new WorkerCrashed({ cause: "exited", exitCode: event.code })
    : new WorkerCrashed({ cause: event._tag === "Error" ? event.error : `unexpected message ${String(tagOf(event.message))}` })

/**
 * Makes a pool whose threads live until the scope closes.
 *
 * @internal
 */
export const make = <I, O>(options: Options<I, O>): Effect.Effect<Pool<I, O>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { inline, size } = options
    if (!Number.isInteger(size) || size < 0) return yield* Effect.dieMessage(`pool size must be an integer >= 0, got ${size}`)
    if (size === 0) {
      return {
        run: (task: I) =>
          Effect.try({ try: () => inline(task), catch: (e) => new TaskFailed({ reason: messageOf(e) }) }).pipe(
            Effect.withSpan("WorkerPool.run", { attributes: { inline: true } })
          ),
        workers: Effect.succeed([])
      }
    }
    const timeout = Duration.decode(options.timeout)
    const prepare = options.prepare ?? ((task: I) => ({ task, transfer: [] }))
    const boot = bootCode(options.script)
    const permits = yield* Effect.makeSemaphore(size)
    const idle: Array<Slot> = Array.from({ length: size }, () => ({ worker: undefined, ready: false, listener: undefined }))
    const live = new Set<Worker>()
    let closed = false

    const stop = (worker: Worker): Effect.Effect<void> =>
      Effect.promise(() => worker.terminate().then(() => undefined, () => undefined))

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        return Effect.forEach([...live], stop, { concurrency: "unbounded", discard: true })
      })
    )

    const spawn = (slot: Slot): Effect.Effect<Worker, WorkerCrashed> =>
      Effect.suspend(() => {
        if (closed) return Effect.fail(new WorkerCrashed({ cause: "the pool is closed" }))
        return Effect.try({
          try: () => new Worker(boot, { eval: true }),
          catch: (cause) => new WorkerCrashed({ cause })
        })
      }).pipe(Effect.tap((worker) =>
        Effect.sync(() => {
          live.add(worker)
          slot.worker = worker
          slot.ready = false
          const emit = (event: Event) => {
            if (slot.worker !== worker) return
            const listener = slot.listener
            slot.listener = undefined
            listener?.(event)
          }
          worker.on("message", (message: unknown) => {
            if (slot.worker === worker && tagOf(message) === "Ready") slot.ready = true
            emit({ _tag: "Message", message })
          })
          worker.on("messageerror", (error) => emit({ _tag: "Error", error }))
          // Always listened to: an unheard "error" event would throw in this thread.
          worker.on("error", (error) => {
            const waiting = slot.listener !== undefined
            emit({ _tag: "Error", error })
            // An idle thread that failed is dropped (it exits by itself).
            if (!waiting && slot.worker === worker) slot.worker = undefined
          })
          worker.on("exit", (code) => {
            live.delete(worker)
            emit({ _tag: "Exit", code })
            if (slot.worker === worker) slot.worker = undefined
          })
          worker.unref()
        })
      ))

    /**
     * The slot's next event, once `post` has run: the listener is set first so
     * no reply is missed. `done` says the awaited event already came.
     */
    const next = (slot: Slot, worker: Worker, post: () => void, done: () => boolean = () => false) =>
      Effect.async<Event | undefined>((resume) => {
        // @effect-diagnostics-next-line effectSucceedWithVoid:off -- the awaited value is `Event | undefined`, not void
        if (done()) return resume(Effect.succeed(undefined))
        if (slot.worker !== worker) return resume(Effect.succeed({ _tag: "Error", error: "the worker stopped" }))
        slot.listener = (event) => resume(Effect.succeed(event))
        try {
          post()
        } catch (error) {
          slot.listener = undefined
          resume(Effect.die(error))
        }
        return Effect.sync(() => {
          slot.listener = undefined
        })
      })

    const send = (worker: Worker, task: I) => () => {
      const message = prepare(task)
      try {
        worker.postMessage(message.task, message.transfer)
      } catch {
        // e.g. a buffer marked untransferable: send a copy instead
        worker.postMessage(message.task)
      }
    }

    const exec = (slot: Slot, task: I): Effect.Effect<O, PoolError> =>
      Effect.gen(function*() {
        const worker = slot.worker ?? (yield* spawn(slot))
        worker.ref()
        const booted = yield* next(slot, worker, () => undefined, () => slot.ready)
        if (booted !== undefined && !slot.ready) return yield* crashed(booted)
        const event = yield* next(slot, worker, send(worker, task)).pipe(
          Effect.timeoutFail({ duration: timeout, onTimeout: () => new TaskTimeout({ timeout }) })
        )
        if (event === undefined) return yield* Effect.dieMessage("no reply")
        if (event._tag !== "Message") return yield* crashed(event)
        const reply = event.message as Reply<O>
        switch (reply._tag) {
          case "Done":
            return reply.value
          case "Failed":
            return yield* new TaskFailed({ reason: reply.message })
          default:
            return yield* crashed(event)
        }
      })

    /** A slot goes back idle; its thread too, unless it is busy, broken or gone. */
    const release = (slot: Slot, exit: Exit.Exit<O, PoolError>): Effect.Effect<void> => {
      const worker = slot.worker
      const keep = Exit.isSuccess(exit) || (Cause.isFailType(exit.cause) && exit.cause.error._tag === "TaskFailed")
      slot.listener = undefined
      if (keep || worker === undefined) {
        worker?.unref()
        idle.push(slot)
        return Effect.void
      }
      slot.worker = undefined
      slot.ready = false
      idle.push(slot)
      return stop(worker)
    }

    const run = (task: I): Effect.Effect<O, PoolError> =>
      permits.withPermits(1)(
        Effect.acquireUseRelease(Effect.sync(() => idle.pop()!), (slot) => exec(slot, task), release)
      ).pipe(Effect.withSpan("WorkerPool.run"))

    return { run, workers: Effect.sync(() => [...live]) }
  })
