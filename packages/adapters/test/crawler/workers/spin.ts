/**
 * The pool tests' worker entry: runs each task with `handle`, except `exit`
 * (ends the thread) and `crash` (an uncaught error, no reply).
 */
import { parentPort } from "node:worker_threads"
import type { Reply } from "../../../src/crawler/internal/pool.js"
import { handle, type SpinResult, type SpinTask } from "./tasks.js"

const port = parentPort!
port.on("message", (task: SpinTask) => {
  if (task.kind === "exit") return process.exit(task.code)
  if (task.kind === "crash") {
    setImmediate(() => {
      throw new Error(task.message)
    })
    return
  }
  let reply: Reply<SpinResult>
  try {
    reply = { _tag: "Done", value: handle(task) }
  } catch (error) {
    reply = { _tag: "Failed", message: error instanceof Error ? error.message : String(error) }
  }
  port.postMessage(reply)
})
