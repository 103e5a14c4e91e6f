/**
 * The parse worker's entry: runs each {@link Task} it receives with
 * {@link runTask} and posts back one reply per task (the pool's protocol:
 * `Done` with the result, or `Failed` with the message of what it threw).
 * tsup builds it as its own entry, `dist/parseWorker.js` and
 * `dist/parseWorker.cjs`, next to the library's bundle.
 *
 * @internal
 */
import { parentPort } from "node:worker_threads"
import { runTask, type Result, type Task } from "./parse.js"
import type { Reply } from "./pool.js"

const port = parentPort
if (port !== null) {
  port.on("message", (task: Task) => {
    let reply: Reply<Result>
    try {
      reply = { _tag: "Done", value: runTask(task) }
    } catch (error) {
      reply = { _tag: "Failed", message: error instanceof Error ? error.message : String(error) }
    }
    port.postMessage(reply)
  })
}
