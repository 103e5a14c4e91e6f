/**
 * CPU time per thread of the benchmark's child process, for Linux (Node 20
 * has no `process.threadCpuUsage`): each thread's `utime + stime` from
 * `/proc/self/task/<tid>/stat` (fields 14 and 15, in clock ticks of
 * `getconf CLK_TCK`, normally 100 a second, so 10 ms a tick).
 *
 * Which thread is which:
 * - the main thread (the runner: engine, store, PGlite, vendor HTTP clients,
 *   the crawler's fetches) has the process id as its tid;
 * - the world's thread (fixture web and fakes) reports its own tid
 *   (`readlink /proc/thread-self`) when it is ready;
 * - the crawler's parse workers: Node 20 gives worker threads no name (every
 *   `comm` is `node`), and the pool is internal, so {@link tagParseWorkers}
 *   wraps `Worker` before the crawler starts one: a worker whose boot code
 *   loads `parseWorker` first posts its tid on a `BroadcastChannel`, beside
 *   the pool's own protocol on `parentPort`;
 * - the rest (V8's platform threads: GC and compiler helpers; libuv's pool;
 *   the inspector; any thread that exited during the run) is the process
 *   total (`process.cpuUsage()`) less the three above.
 *
 * A sampler reads every thread each second, so a parse worker terminated
 * during the run (past its deadline) keeps what it used up to its last
 * sample; what it used after that lands in "rest".
 */
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { syncBuiltinESMExports } from "node:module"
import workerThreads, { BroadcastChannel } from "node:worker_threads"

const channelName = "leadgraph-bench-threads"

let ticks: number | undefined

/** Clock ticks per second (`getconf CLK_TCK`, read once); 100 if it cannot be read. */
export const ticksPerSecond = (): number => {
  if (ticks === undefined) {
    try {
      const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())
      ticks = Number.isFinite(n) && n > 0 ? n : 100
    } catch {
      ticks = 100
    }
  }
  return ticks
}

/** The calling thread's tid (`/proc/thread-self` links to `<pid>/task/<tid>`), or `undefined` off Linux. */
export const currentTid = (): number | undefined => {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop())
  } catch {
    return undefined
  }
}

/** One thread's name and CPU (user + system) in milliseconds, or `undefined` if it is gone. */
export const readThread = (tid: number): { readonly comm: string; readonly millis: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8")
    // the name (field 2) is in parentheses and may hold spaces or parentheses itself
    const close = stat.lastIndexOf(")")
    const comm = stat.slice(stat.indexOf("(") + 1, close)
    const fields = stat.slice(close + 2).split(" ") // fields[0] is field 3 (state)
    const n = Number(fields[11]) + Number(fields[12]) // fields 14 (utime) and 15 (stime)
    return { comm, millis: (n * 1000) / ticksPerSecond() }
  } catch {
    return undefined
  }
}

const readAll = (): Map<number, { readonly comm: string; readonly millis: number }> => {
  const out = new Map<number, { readonly comm: string; readonly millis: number }>()
  let tids: Array<string> = []
  try {
    tids = readdirSync("/proc/self/task")
  } catch {
    return out
  }
  for (const t of tids) {
    const r = readThread(Number(t))
    if (r !== undefined) out.set(Number(t), r)
  }
  return out
}

const parseTids = new Set<number>()
let tagging = false

/**
 * Makes the crawler's parse workers report their tids: replaces `Worker` in
 * `node:worker_threads` (and, through `syncBuiltinESMExports`, in every ESM
 * import of it) by a subclass that prefixes the `eval` boot code of a worker
 * loading `parseWorker` with a line posting its tid on a `BroadcastChannel`.
 * Call it before the crawler's layer is built. Returns `false` if it could not.
 */
export const tagParseWorkers = (): boolean => {
  if (tagging) return true
  const Original = workerThreads.Worker
  const prelude = `import("node:fs").then((fs) => { ` +
    `const c = new BroadcastChannel(${JSON.stringify(channelName)}); ` +
    `c.postMessage(Number(fs.readlinkSync("/proc/thread-self").split("/").pop())); c.close() }).catch(() => {});\n`
  class Tagged extends Original {
    constructor(script: string | URL, options?: workerThreads.WorkerOptions) {
      const boot = options?.eval === true && typeof script === "string" && /parseWorker/.test(script)
      super(boot ? prelude + script : script, options)
    }
  }
  try {
    ;(workerThreads as { Worker: typeof Original }).Worker = Tagged
    syncBuiltinESMExports()
  } catch {
    return false
  }
  const channel = new BroadcastChannel(channelName)
  channel.onmessage = (event) => {
    const tid = (event as { readonly data: unknown }).data
    if (typeof tid === "number" && Number.isFinite(tid)) parseTids.add(tid)
  }
  channel.unref()
  tagging = true
  return true
}

/** CPU milliseconds of one run, by thread. */
export interface ThreadCpu {
  /** Process CPU (`process.cpuUsage()`, every thread, including those that exited). */
  readonly totalMillis: number
  readonly mainMillis: number
  readonly worldMillis: number
  readonly parseWorkersMillis: number
  /** V8 and libuv helpers, and anything that exited between samples: the total less the three above. */
  readonly otherMillis: number
  readonly parseWorkers: number
  readonly ticksPerSecond: number
  /** Every thread seen during the run, with its CPU over it. */
  readonly threads: ReadonlyArray<{ readonly tid: number; readonly comm: string; readonly kind: string; readonly millis: number }>
}

/**
 * Starts measuring: takes the first sample, then samples every second until
 * `stop`, which takes the last one and splits the run's CPU by thread.
 */
export const start = (worldTid: number | undefined, sampleMillis = 1_000) => {
  const cpu0 = process.cpuUsage()
  const first = readAll()
  const last = new Map(first)
  const sample = () => {
    for (const [tid, r] of readAll()) last.set(tid, r)
  }
  const timer = setInterval(sample, sampleMillis)
  timer.unref()
  const stop = (): ThreadCpu => {
    clearInterval(timer)
    sample()
    const cpu = process.cpuUsage(cpu0)
    const totalMillis = (cpu.user + cpu.system) / 1000
    const kindOf = (tid: number) =>
      tid === process.pid ? "main" : tid === worldTid ? "world" : parseTids.has(tid) ? "parse" : "other"
    const threads = [...last].map(([tid, r]) => ({
      tid,
      comm: r.comm,
      kind: kindOf(tid),
      millis: r.millis - (first.get(tid)?.millis ?? 0)
    }))
    const sum = (kind: string) => threads.filter((t) => t.kind === kind).reduce((a, t) => a + t.millis, 0)
    const mainMillis = sum("main")
    const worldMillis = sum("world")
    const parseWorkersMillis = sum("parse")
    return {
      totalMillis,
      mainMillis,
      worldMillis,
      parseWorkersMillis,
      otherMillis: Math.max(0, totalMillis - mainMillis - worldMillis - parseWorkersMillis),
      parseWorkers: threads.filter((t) => t.kind === "parse").length,
      ticksPerSecond: ticksPerSecond(),
      threads: threads.filter((t) => t.millis > 0 || t.kind !== "other")
    }
  }
  return { stop }
}
