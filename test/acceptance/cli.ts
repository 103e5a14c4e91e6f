/**
 * The `leadgraph` executable as a child process, the way an operator runs
 * it: one Node process (no wrapper process, so a SIGKILL hits the process
 * that does the work), its stdout
 * (the command's result: reports, tokens, environments) and its stderr
 * (log lines, JSON when not a terminal; errors) read line by line.
 *
 * The process runs the built binary (`packages/runner/dist/cli/bin.js`, as
 * the package installs it) when a build is newer than every source file of
 * the three packages (CI builds before it tests), else the TypeScript
 * sources through tsx's loader, so a test never runs a stale build. The
 * built one, a single bundled file, prints `--help` in about 1.2 s against
 * 5 s through tsx (and a sixth of the CPU) on this machine.
 */
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Effect, Exit, Layer, Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readdirSync, rmSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const loader = join(root, "node_modules", "tsx", "dist", "loader.mjs")
const bin = join(root, "packages", "runner", "src", "bin.ts")
const packages = ["core", "adapters", "runner"].map((name) => join(root, "packages", name))
const builtBin = join(root, "packages", "runner", "dist", "cli", "bin.js")

/** The latest modification time of the files under `path` (0 when there are none). */
const newest = (path: string): number => {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), 0)
}

/**
 * Node's arguments that run `leadgraph`: the build when every package's
 * build (its `dist/index.js`, and the binary) is newer than its sources and
 * its package.json, else the sources through tsx. Decided once per file.
 */
const command = ((): ReadonlyArray<string> => {
  const outputs = [builtBin, ...packages.map((dir) => join(dir, "dist", "index.js"))]
  const builtAt = Math.min(...outputs.map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0))
  const sourcesAt = Math.max(...packages.flatMap((dir) => [newest(join(dir, "src")), newest(join(dir, "package.json"))]))
  return builtAt > sourcesAt ? [builtBin] : ["--import", loader, bin]
})()

/** A running `leadgraph` command. */
export interface Child {
  readonly process: ChildProcess
  /** Every stdout line so far: what the command printed as its result. */
  readonly lines: Array<string>
  /** Every stderr line so far: log lines (JSON) and errors. */
  readonly logs: Array<string>
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>
  /** Resolves with the first stdout line for which `test` holds (rejects if the process ends first). */
  readonly waitFor: (test: (line: string) => boolean) => Promise<string>
  /** Calls `f` with each new stdout line (and the lines so far). */
  readonly onLine: (f: (line: string) => void) => void
  /** Calls `f` with each new stderr line (and the lines so far). */
  readonly onLog: (f: (line: string) => void) => void
  /** The last 20,000 characters of stderr. */
  readonly stderr: () => string
}

/** Starts `leadgraph <args>` in `cwd` with exactly `env` (plus what tsx needs). */
export const start = (args: ReadonlyArray<string>, options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv }): Child => {
  if (command[0] === "--import" && !existsSync(loader)) throw new Error(`tsx's loader is not at ${loader}`)
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: options.cwd,
    env: { ...options.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.json") },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  const listeners: Array<(line: string) => void> = []
  const logs: Array<string> = []
  const logListeners: Array<(line: string) => void> = []
  let stderr = ""
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-20_000)
  })
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line)
    for (const f of listeners) f(line)
  })
  createInterface({ input: child.stderr! }).on("line", (line) => {
    logs.push(line)
    for (const f of logListeners) f(line)
  })
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  )
  const onLine = (f: (line: string) => void) => {
    for (const line of lines) f(line)
    listeners.push(f)
  }
  const onLog = (f: (line: string) => void) => {
    for (const line of logs) f(line)
    logListeners.push(f)
  }
  const waitFor = (test: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      onLine((line) => {
        if (test(line)) resolve(line)
      })
      void exited.then((code) => reject(new Error(`leadgraph ${args[0]} ended (${code}) first; stderr: ${stderr}`)))
    })
  return { process: child, lines, logs, exited, waitFor, onLine, onLog, stderr: () => stderr }
}

/** A scratch schema on Postgres for the children, as a URL whose search_path selects it. */
export const scratch = async (prefix: string, url: string) => {
  const scope = await Effect.runPromise(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(TestDatabases.scratchSchema(prefix, url), scope))
  const schema = (await Effect.runPromise(Effect.provide(TestDatabases.Owner, context))).schema!
  const withSchema = new URL(url)
  withSchema.searchParams.set("options", `-c search_path=${schema}`)
  return { url: withSchema.toString(), close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** The environment the children get: this one without database, schedule, crawler and vendor settings. */
export const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|MIGRATION_DATABASE_URL|DEFAULT_TENANT_ID|LOG_LEVEL|NO_COLOR|FORCE_COLOR|SCHED_|CRAWLER_|TAVILY_|LUSHA_|ZEROBOUNCE_|OPENAI_|ODOO_)/.test(name)) {
      delete env[name]
    }
  }
  return env
}

/** Stops the children still running (with `signal`), waits for all of them, closes the scratch database and removes the work folder. */
export const cleanUp = async (
  children: ReadonlyArray<Child>,
  signal: NodeJS.Signals,
  database: { readonly close: () => Promise<unknown> } | undefined,
  work: string
) => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill(signal)
  await Promise.all(children.map((c) => c.exited))
  await database?.close()
  rmSync(work, { recursive: true, force: true })
}

/**
 * Starts `leadgraph fakes` with these flags and waits until it serves (it is
 * killed if it never does); the child (to stop later) and the environment it
 * printed (`NAME=value` lines).
 */
export const startFakes = async (flags: ReadonlyArray<string>, options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv }) => {
  const fakes = start(["fakes", ...flags], options)
  try {
    await fakes.waitFor((line) => line.startsWith("# leadgraph fakes: up"))
  } catch (error) {
    fakes.process.kill("SIGKILL")
    throw error
  }
  const env: Record<string, string> = Object.fromEntries(fakes.lines.flatMap((line) => {
    const at = line.indexOf("=")
    return /^[A-Z_]+=/.test(line) ? [[line.slice(0, at), line.slice(at + 1)]] : []
  }))
  return { fakes, env }
}
