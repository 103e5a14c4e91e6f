/**
 * One process per embedded data directory, tested with real processes: a
 * second process opening a directory another holds stops with a
 * `StoreError` (reason `Conflict`) whose cause, `Database.DatabaseLocked`,
 * names the holder's pid and command; a lock left by a process that was
 * killed, or a stale lock file, is taken over.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Database } from "@leadgraph/adapters"
import { type Context, Data, Effect, Layer, Option } from "effect"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const worker = fileURLToPath(new URL("./workers/holdDatabase.ts", import.meta.url))

const scratch = Effect.acquireRelease(
  Effect.sync(() => {
    const root = mkdtempSync(join(tmpdir(), "leadgraph-lock-"))
    return { root, dataDir: join(root, "pgdata"), lockFile: join(root, "pgdata.lock") }
  }),
  ({ root }) => Effect.sync(() => rmSync(root, { recursive: true, force: true }))
)

/** Another process running the worker; killed (if still running) when the scope closes. */
const startWorker = (dataDir: string, mode: "hold" | "try") =>
  Effect.acquireRelease(
    Effect.sync(() =>
      spawn(process.execPath, ["--import", "tsx", worker, dataDir, mode], { stdio: ["pipe", "pipe", "inherit"] })
    ),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

class WorkerExited extends Data.TaggedError("WorkerExited")<{ readonly code: number | null; readonly output: string }> {}

/** The first line the process prints. */
const firstLine = (child: ChildProcess) =>
  Effect.async<string, WorkerExited>((resume) => {
    let out = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const end = out.indexOf("\n")
      if (end >= 0) resume(Effect.succeed(out.slice(0, end)))
    })
    child.on("exit", (code) => resume(Effect.fail(new WorkerExited({ code, output: out }))))
  })

const exited = (child: ChildProcess) =>
  Effect.async<number | null>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
    child.on("exit", (code) => resume(Effect.succeed(code)))
  })

/** Opens the directory in this process for the scope. */
const open = (dataDir: string) => Layer.build(Database.layerEmbedded({ dataDir }))

const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!

const migrations = (context: Context.Context<SqlClient.SqlClient>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM leadgraph_migrations`).pipe(Effect.provide(context))

describe("the embedded database has one owner process", () => {
  it.live("a second process stops with DatabaseLocked naming the holder's pid and command, both ways", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dataDir, lockFile } = yield* scratch
      const holder = yield* startWorker(dataDir, "hold")
      expect(yield* firstLine(holder)).toBe("ready")

      const error = yield* Effect.flip(Effect.scoped(open(dataDir)))
      expect(error).toMatchObject({ _tag: "StoreError", reason: "Conflict", operation: "connect" })
      const locked = Option.getOrThrow(Database.lockedBy(error))
      expect(locked).toMatchObject({ _tag: "DatabaseLocked", pid: holder.pid, host: hostname(), lockFile })
      expect(locked.command).toContain("holdDatabase.ts")
      expect(error.detail).toContain(`process ${holder.pid}`)
      expect(locked.message).toContain(lockFile)

      // the holder lets go; now this process holds it, and the other one is refused
      holder.stdin!.end()
      expect(yield* exited(holder)).toBe(0)
      expect(existsSync(lockFile)).toBe(false)
      yield* open(dataDir)
      const second = yield* startWorker(dataDir, "try")
      const outcome = JSON.parse(yield* firstLine(second)) as {
        ok: boolean
        reason: string
        holder: { pid: number; command: string }
      }
      expect(yield* exited(second)).toBe(1)
      expect(outcome).toMatchObject({ ok: false, reason: "Conflict", holder: { pid: process.pid } })
    })), 120_000)

  it.live("a lock left by a killed process is taken over, and the data is still there", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dataDir, lockFile } = yield* scratch
      const holder = yield* startWorker(dataDir, "hold")
      expect(yield* firstLine(holder)).toBe("ready")
      holder.kill("SIGKILL")
      yield* exited(holder)
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: holder.pid })

      const context = yield* open(dataDir)
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: process.pid })
      // the killed process applied the migrations; they are there
      const [row] = yield* migrations(context)
      expect(row!.n).toBeGreaterThan(0)
    })), 120_000)

  it.live("a stale lock file is taken over: a dead pid, or this pid left by an earlier process", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dataDir, lockFile } = yield* scratch
      const stale = (pid: number, started: number) =>
        writeFileSync(lockFile, JSON.stringify({ pid, host: hostname(), started, command: "node gone.js" }))
      stale(deadPid(), 1)
      yield* Effect.scoped(open(dataDir))
      expect(existsSync(lockFile)).toBe(false)
      // a restarted container: same pid, another process
      stale(process.pid, 1)
      yield* Effect.scoped(open(dataDir))
      // a file that names no process at all
      writeFileSync(lockFile, "")
      yield* Effect.scoped(open(dataDir))
      expect(existsSync(lockFile)).toBe(false)
    })), 120_000)

  it.live("two processes racing for a stale lock: exactly one gets it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dataDir, lockFile } = yield* scratch
      writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), host: hostname(), started: 1, command: "node gone.js" }))
      const racers = [yield* startWorker(dataDir, "hold"), yield* startWorker(dataDir, "hold")]
      const lines = yield* Effect.forEach(racers, firstLine, { concurrency: 2 })
      expect(lines.filter((l) => l === "ready")).toHaveLength(1)
      const winner = racers[lines.indexOf("ready")]!
      const loser = JSON.parse(lines.find((l) => l !== "ready")!) as { reason: string; holder: { pid: number } }
      expect(loser).toMatchObject({ reason: "Conflict", holder: { pid: winner.pid } })
    })), 120_000)

  it.live("a lock held by this very process, or on another host, counts as held", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dataDir, lockFile } = yield* scratch
      yield* Effect.scoped(Effect.gen(function*() {
        yield* open(dataDir)
        const twice = yield* Effect.flip(Effect.scoped(open(dataDir)))
        expect(Option.map(Database.lockedBy(twice), (l) => l.pid)).toEqual(Option.some(process.pid))
      }))
      writeFileSync(lockFile, JSON.stringify({ pid: 1, host: "elsewhere", started: 1, command: "leadgraph serve" }))
      const remote = yield* Effect.flip(Effect.scoped(open(dataDir)))
      expect(Option.map(Database.lockedBy(remote), (l) => [l.host, l.command])).toEqual(
        Option.some(["elsewhere", "leadgraph serve"])
      )
    })), 120_000)
})
