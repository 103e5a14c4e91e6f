/**
 * The tasks of the pool tests' worker (`spin.ts`), and what the ones that
 * return do, shared with the in-thread (`size: 0`) pool.
 */
import { threadId } from "node:worker_threads"

export type SpinTask =
  /** Replies with the value and the thread that ran it. */
  | { readonly kind: "echo"; readonly value: string }
  /** Replies with the length of the bytes it received. */
  | { readonly kind: "bytes"; readonly body: Uint8Array }
  /** Sets `started[0]` to 1, then never returns. */
  | { readonly kind: "spin"; readonly started: Int32Array }
  /** Throws an error with this message. */
  | { readonly kind: "throw"; readonly message: string }
  /** Ends the worker thread with this exit code (never run in-thread). */
  | { readonly kind: "exit"; readonly code: number }
  /** Throws outside the task (an uncaught error ends the thread), and never replies. */
  | { readonly kind: "crash"; readonly message: string }

export interface SpinResult {
  readonly value: string
  readonly threadId: number
}

export const handle = (task: SpinTask): SpinResult => {
  switch (task.kind) {
    case "echo":
      return { value: task.value, threadId }
    case "bytes":
      return { value: String(task.body.length), threadId }
    case "spin":
      Atomics.store(task.started, 0, 1)
      Atomics.notify(task.started, 0)
      for (;;) { /* busy for ever: only terminate() stops it */ }
    case "throw":
      throw new Error(task.message)
    case "exit":
    case "crash":
      throw new Error(`${task.kind} is for worker threads only`)
  }
}
