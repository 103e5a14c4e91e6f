/**
 * A parse worker that fails every task, as a parser that throws on a page
 * would: the crawler's tests use it as `parseWorkerScript`.
 */
import { parentPort } from "node:worker_threads"
import type { Reply } from "../../../src/crawler/internal/pool.js"

parentPort?.on("message", () => {
  const reply: Reply<never> = { _tag: "Failed", message: "the parser gave up on this page" }
  parentPort?.postMessage(reply)
})
