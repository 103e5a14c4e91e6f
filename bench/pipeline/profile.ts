/**
 * Sums up a `.cpuprofile` written by `npm run bench -- pipeline
 * --cpu-profile FILE` (the main thread over the run): self time by area
 * (package or module), self time by function, and total (inclusive) time by
 * function, each in ms per company when `--companies N` is given.
 *
 * `npx tsx bench/pipeline/profile.ts FILE [--companies 1000] [--top 40] [--match TEXT] [--wall]`
 * (`--match` lists the callers' stacks of the functions whose name or file
 * contains TEXT, by self time).
 *
 * V8's profiler stamps samples with wall time: on a loaded machine a thread
 * descheduled in the middle of something (often a socket write that woke
 * the peer) charges the whole gap to the sample taken when it runs again. So
 * by default each sample counts as one median sampling interval, which
 * approximates CPU time; `--wall` uses the stamped gaps instead.
 */
import { readFileSync } from "node:fs"
import { arg, argv } from "./args.js"

interface Frame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface Node {
  readonly id: number
  readonly callFrame: Frame
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const file = argv[0]
if (file === undefined) throw new Error("usage: profile.ts FILE [--companies N] [--top N] [--match TEXT]")
const companies = Number(arg("companies") ?? 1)
const top = Number(arg("top") ?? 40)
const match = arg("match")
const wall = argv.includes("--wall")

const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

/** Where a frame's code lives: a package under node_modules, a leadgraph package, Node's internals, or V8's pseudo-frames. */
const area = (f: Frame): string => {
  const url = f.url
  if (url === "") return f.functionName.startsWith("(") ? f.functionName : "(native)"
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/")
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/")
    const pkg = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!
    // Effect's modules, one by one: the runtime (fiberRuntime, core) vs Schema vs the rest
    if (pkg === "effect" || pkg.startsWith("@effect/")) return `${pkg}:${rest.at(-1)!.replace(/\.[cm]?js$/, "")}`
    return pkg
  }
  const m = /\/packages\/([^/]+)\/(?:dist|src)\/(.*)$/.exec(url)
  if (m !== null) return `@leadgraph/${m[1]}`
  const b = /\/bench\/(.*)$/.exec(url)
  return b !== null ? `bench/${b[1]}` : url
}
const key = (f: Frame) => `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(packages|bench)\//, "$1/")}:${f.lineNumber + 1}`

const self = new Map<number, number>()
let total = 0
const sorted = [...profile.timeDeltas].sort((a, b) => a - b)
const interval = (sorted[sorted.length >> 1] ?? 0) / 1000
profile.samples.forEach((id, i) => {
  const dt = wall ? (profile.timeDeltas[i] ?? 0) / 1000 : interval
  self.set(id, (self.get(id) ?? 0) + dt)
  total += dt
})

const selfByArea = new Map<string, number>()
const selfByFn = new Map<string, number>()
const totalByFn = new Map<string, number>()
const totalByArea = new Map<string, number>()
for (const [id, ms] of self) {
  const n = byId.get(id)!
  selfByArea.set(area(n.callFrame), (selfByArea.get(area(n.callFrame)) ?? 0) + ms)
  selfByFn.set(key(n.callFrame), (selfByFn.get(key(n.callFrame)) ?? 0) + ms)
  const seen = new Set<string>()
  const seenArea = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame
    const k = key(f)
    if (!seen.has(k)) {
      seen.add(k)
      totalByFn.set(k, (totalByFn.get(k) ?? 0) + ms)
    }
    const a = area(f)
    if (!seenArea.has(a)) {
      seenArea.add(a)
      totalByArea.set(a, (totalByArea.get(a) ?? 0) + ms)
    }
  }
}

const idle = (selfByArea.get("(idle)") ?? 0)
const busy = total - idle
const fmt = (ms: number) =>
  `${(ms / companies).toFixed(2).padStart(8)} ms/co  ${((ms / busy) * 100).toFixed(1).padStart(5)}%`
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt(v)}  ${k}`)
}
console.log(`${file}: ${profile.samples.length} samples, ${wall ? "wall-clock gaps" : `each ${interval.toFixed(3)} ms`}, ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (not idle), ${(busy / companies).toFixed(1)} ms per company`)
show("self time by area", selfByArea)
show("total time by area (inclusive)", totalByArea)
show("self time by function", selfByFn)
show("total time by function (inclusive)", totalByFn)

if (match !== undefined) {
  const stacks = new Map<string, number>()
  for (const [id, ms] of self) {
    const n = byId.get(id)!
    if (!key(n.callFrame).includes(match)) continue
    const frames: Array<string> = []
    for (let cur: number | undefined = id; cur !== undefined && frames.length < 14; cur = parent.get(cur)) {
      frames.push(key(byId.get(cur)!.callFrame))
    }
    const k = frames.join("\n      <- ")
    stacks.set(k, (stacks.get(k) ?? 0) + ms)
  }
  show(`stacks of "${match}"`, new Map([...stacks].slice(0)))
}
