/**
 * Vendor rate limits across real processes (Postgres only: the embedded
 * database belongs to one process): two child processes, each its own
 * Node.js with its own pool and client, call one fake Tavily at the same
 * moment, and the fake's journal of arrivals conforms to one token bucket.
 */
import { describe, expect, it } from "@effect/vitest"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Context, Data, Effect, Layer } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as FakeTavilyServer from "../src/tavily/testing/FakeTavilyServer.js"

const worker = fileURLToPath(new URL("./workers/sharedLimit.ts", import.meta.url))
const url = process.env.DATABASE_URL
const key = "tvly-processes-0123456789"
const [limit, interval, calls, processes] = [2, 1000, 4, 2]
const spacing = interval / limit
// arrivals lag their turns by up to the event loop's and the connection's delays
const slack = 250

const excess = (arrivals: ReadonlyArray<number>) => {
  const s = [...arrivals].sort((a, b) => a - b)
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length; j++) {
      if (j - i + 1 > limit + (s[j]! - s[i]! + slack) / spacing) return { from: s[i]!, to: s[j]!, calls: j - i + 1 }
    }
  }
  return undefined
}

class WorkerExited extends Data.TaggedError("WorkerExited")<{ readonly code: number | null }> {}

const start = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<ChildProcess, WorkerExited>((resume) => {
      const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], { stdio: ["pipe", "pipe", "inherit"] })
      child.stdout!.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) resume(Effect.succeed(child))
      })
      child.once("exit", (code) => resume(Effect.fail(new WorkerExited({ code }))))
    }),
    (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

const exited = (child: ChildProcess) =>
  Effect.async<number | null>((resume) => {
    if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

if (url !== undefined && url !== "") {
  describe("SharedRateLimits across child processes (postgres)", () => {
    it.scopedLive("two processes' calls keep one limit between them", () =>
      Effect.gen(function*() {
        const database = yield* Layer.build(TestDatabases.scratchSchema("shared_limit_processes", url))
        const schema = Context.get(database, TestDatabases.Owner).schema!
        const server = yield* FakeTavilyServer.make({ apiKey: key, seed: 5 })
        const args = [url, schema, server.url, key, String(calls), String(limit), String(interval)]
        const children = yield* Effect.all(Array.from({ length: processes }, () => start(args)), { concurrency: "unbounded" })
        const warm = (yield* server.billed()).length
        expect(warm).toBe(processes)
        // the warm-up calls drew tokens: let the bucket fill again
        yield* Effect.sleep(interval)
        // the line starts them; the end of stdin lets them exit once done
        for (const child of children) child.stdin!.end("go\n")
        const codes = yield* Effect.forEach(children, exited, { concurrency: "unbounded" })
        expect(codes).toEqual(children.map(() => 0))
        const arrivals = (yield* server.billed(warm)).map((u) => u.startedAt)
        expect(arrivals).toHaveLength(processes * calls)
        expect(excess(arrivals)).toBeUndefined()
      }), 60_000)
  })
}
