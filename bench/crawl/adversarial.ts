/**
 * The adversarial section of `npm run bench -- crawl`: every family of the
 * shared adversarial corpus (`Adversarial` in the adapters' crawler
 * testing module: HTML pages, robots.txt files, sitemaps) made at n = 1 MiB
 * and 2n = 2 MiB, each run through the work the crawler does with it, on
 * this thread:
 *
 * - a page: the parse worker's task (charset detection and decoding, then
 *   extraction of text, links and signals) and page picking over its links;
 * - a robots.txt: parsing, then eight `isAllowed` checks of long URLs;
 * - a sitemap: decoding and `<loc>` scanning.
 *
 * Each figure is the median CPU time (user + system) of 7 runs after one
 * warm-up (n and 2n measured in turns, so that both see the same machine),
 * a garbage collection before each run, and each run repeating
 * the work until it has taken 50 ms (so that small figures are not noise). Reported: per family the CPU at n and 2n and their ratio
 * (goal <= 2.5: linear), and the worst CPU per page at 2 MiB (goal <= 1 s).
 * The crawler's internal functions are imported from the TypeScript sources
 * (they are not part of the package's public API).
 */
import { cpus, loadavg } from "node:os"
import { pick } from "../../packages/adapters/src/crawler/internal/pick.js"
import { runTask } from "../../packages/adapters/src/crawler/internal/parse.js"
import * as Robots from "../../packages/adapters/src/crawler/Robots.js"
import * as Adversarial from "../../packages/adapters/src/crawler/testing/Adversarial.js"

/** One family's figures. */
export interface Row {
  readonly kind: "html" | "robots" | "sitemap"
  readonly family: string
  readonly note: string
  readonly millisAtN: number
  readonly millisAt2N: number
  readonly ratio: number
}

/** The section's result. */
export interface Section {
  readonly n: number
  readonly cores: number
  readonly loadAverage: readonly [number, number]
  readonly rows: ReadonlyArray<Row>
  readonly worstAt2N: Row
  readonly worstRatio: Row
}

const runs = 7
const n = 1024 * 1024
const home = new URL("https://adversarial.test/")
const encoder = new TextEncoder()

// `npm run bench` runs node with --expose-gc: collect before each run, so
// that one run does not pay for the garbage of the one before.
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {})

/** CPU milliseconds of one call of `work`, averaged over enough calls to take at least 50 ms. */
const cpuOf = (work: () => void): number => {
  collect()
  let calls = 0
  const start = process.cpuUsage()
  let used = 0
  do {
    work()
    calls++
    const u = process.cpuUsage(start)
    used = (u.user + u.system) / 1000
  } while (used < 50)
  return used / calls
}

const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** The medians of `n` and `twice`, measured in turns so that both see the same machine. */
const measurePair = (n: () => void, twice: () => void): readonly [number, number] => {
  n()
  twice()
  const a: Array<number> = []
  const b: Array<number> = []
  for (let i = 0; i < runs; i++) {
    a.push(cpuOf(n))
    b.push(cpuOf(twice))
  }
  return [median(a), median(b)]
}

const pageWork = (text: string) => {
  const body = encoder.encode(text)
  return () => {
    // The task transfers its bytes to a worker in the crawler: give each run its own copy.
    const result = runTask({ kind: "page", url: home.href, contentType: "text/html", body: body.slice() })
    if (result.kind === "page") pick(home, result.extracted.links, [], 6)
  }
}

const longUrls = [
  `${home.origin}/${"a".repeat(16_000)}`,
  `${home.origin}/${"%41".repeat(5_000)}`,
  `${home.origin}/${"*a".repeat(8_000)}b`,
  `${home.origin}/private/${"x/".repeat(8_000)}`,
  `${home.origin}/about`,
  `${home.origin}/?${"q=1&".repeat(4_000)}`,
  `${home.origin}/${"é".repeat(8_000)}`,
  `${home.origin}/robots.txt`
]

const robotsWork = (text: string) => () => {
  const rules = Robots.parse(text, `${home.origin}/robots.txt`)
  for (const url of longUrls) rules.isAllowed(url, "LeadGraphBot/0.1")
}

const sitemapWork = (text: string) => {
  const body = encoder.encode(text)
  return () => void runTask({ kind: "sitemap", body: body.slice() })
}

const rowsOf = (
  kind: Row["kind"],
  families: ReadonlyArray<Adversarial.Family>,
  size: number,
  workOf: (text: string) => () => void
): Array<Row> =>
  families.map((f) => {
    const [millisAtN, millisAt2N] = measurePair(workOf(f.make(size)), workOf(f.make(2 * size)))
    return { kind, family: f.name, note: f.note, millisAtN, millisAt2N, ratio: millisAt2N / Math.max(millisAtN, 0.001) }
  })

/** Runs the section (about a minute here) and returns its figures. */
export const run = (): Section => {
  const load0 = loadavg()[0]!
  const rows = [
    ...rowsOf("html", Adversarial.html, n, pageWork),
    // robots.txt is parsed up to 500 KiB: measure it at 250 KiB and 500 KiB.
    ...rowsOf("robots", Adversarial.robots, 250 * 1024, robotsWork),
    ...rowsOf("sitemap", Adversarial.sitemaps, n, sitemapWork)
  ]
  const worstAt2N = rows.reduce((a, b) => (b.millisAt2N > a.millisAt2N ? b : a))
  const worstRatio = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a))
  return { n, cores: cpus().length, loadAverage: [load0, loadavg()[0]!], rows, worstAt2N, worstRatio }
}

/** Prints the section as a table with the goals. */
export const print = (s: Section): void => {
  const pad = (x: string | number, w: number) => String(x).padEnd(w)
  const num = (x: number, w: number) => x.toFixed(1).padStart(w)
  console.log("")
  console.log(`adversarial corpus: CPU per input, median of ${runs} runs (${s.cores} cores, load ${s.loadAverage[0].toFixed(2)} -> ${s.loadAverage[1].toFixed(2)})`)
  console.log(`${pad("kind", 8)}${pad("family", 20)}${"ms at n".padStart(10)}${"ms at 2n".padStart(10)}${"ratio".padStart(8)}  note`)
  for (const r of s.rows) {
    console.log(`${pad(r.kind, 8)}${pad(r.family, 20)}${num(r.millisAtN, 10)}${num(r.millisAt2N, 10)}${r.ratio.toFixed(2).padStart(8)}  ${r.note}`)
  }
  console.log("")
  console.log(`n = 1 MiB for pages and sitemaps, 250 KiB for robots.txt (2n = its 500 KiB parsing limit)`)
  console.log(`worst CPU per input at 2n: ${s.worstAt2N.millisAt2N.toFixed(1)} ms (${s.worstAt2N.kind} ${s.worstAt2N.family}; goal <= 1000 ms)`)
  console.log(`worst time(2n)/time(n):    ${s.worstRatio.ratio.toFixed(2)} (${s.worstRatio.kind} ${s.worstRatio.family}; goal <= 2.5)`)
}
