/**
 * The pipeline benchmark's real-scale parameters ({@link real}) and the
 * lower bound they impose on a run's makespan ({@link lowerBound}): each
 * rate-limited vendor's calls over its limit, and the per-company critical
 * path (the longest crawl at its politeness gaps, then two LLM calls in
 * sequence). Shared by `bench/pipeline.ts` and `bench/cluster.ts`.
 */

/** Real-scale latencies (milliseconds) and limits (requests per minute) of a run. */
export interface Real {
  /** Vendor latencies are drawn uniformly within +/- `jitter`. */
  readonly jitter: number
  readonly crawl: { readonly pageMillis: number; readonly crawlDelaySeconds: number; readonly minDelayMillis: number }
  readonly tavily: { readonly millis: number; readonly perMinute: number }
  readonly openAi: { readonly millis: number; readonly perMinute: number }
  readonly lusha: { readonly millis: number; readonly perMinute: number }
  readonly zeroBounce: { readonly batchMillis: number }
  /** Self-hosted Odoo: no vendor limit; the adapter's own default is 10 calls a second. */
  readonly odoo: { readonly millis: number; readonly clientPerSecond: number }
}

/**
 * The real-scale latencies and limits of the pipeline benchmark
 * (milliseconds, requests per minute).
 */
export const real = {
  jitter: 0.2,
  crawl: { pageMillis: 300, crawlDelaySeconds: 1, minDelayMillis: 500 },
  tavily: { millis: 1_500, perMinute: 1_000 },
  openAi: { millis: 6_000, perMinute: 500 },
  lusha: { millis: 1_000, perMinute: 300 },
  zeroBounce: { batchMillis: 2_000 },
  odoo: { millis: 300, clientPerSecond: 10 }
} as const satisfies Real

/** What a run did that bounds its makespan. */
export interface Observed {
  /** Calls each fake counted, by vendor (`tavily`, `lusha`, `zerobounce`, `openai`, `odoo`). */
  readonly vendorCalls: Readonly<Record<string, number>>
  /** Every crawl request's host. */
  readonly crawlLog: ReadonlyArray<{ readonly host: string }>
  /** Hosts whose robots.txt has a Crawl-delay. */
  readonly crawlDelayHosts: ReadonlyArray<string>
  /** ZeroBounce `validatebatch` limit per minute, if any. */
  readonly zbBatchesPerMinute: number | undefined
}

const minute = 60_000

/**
 * The lower bound on the makespan: the largest of the rate-limit bounds
 * (calls / limit) and the critical path of the slowest company; with each
 * vendor's bound plus the work a company still has after that vendor's last
 * call (`boundWithTail`).
 */
export const lowerBound = (r: Real, o: Observed) => {
  const j = 1 - r.jitter
  const calls = (v: string) => o.vendorCalls[v] ?? 0
  // Rate-limit bounds: calls / limit.
  const rateBound: Record<string, number> = {
    tavily: (calls("tavily") / r.tavily.perMinute) * minute,
    openai: (calls("openai") / r.openAi.perMinute) * minute,
    lusha: (calls("lusha") / r.lusha.perMinute) * minute,
    odoo: (calls("odoo") / r.odoo.clientPerSecond) * 1000
  }
  if (o.zbBatchesPerMinute !== undefined) {
    rateBound.zerobounce = (calls("zerobounce") / o.zbBatchesPerMinute) * minute
  }
  // Critical path of one company at the fastest latencies: its crawl
  // (requests x page latency, gaps of max(Crawl-delay, minDelay) between
  // them), then extraction and rationale (two LLM calls in sequence).
  const delayed = new Set(o.crawlDelayHosts)
  const perHost = new Map<string, number>()
  for (const e of o.crawlLog) perHost.set(e.host, (perHost.get(e.host) ?? 0) + 1)
  let crawlMax = 0
  let crawlMaxHost = ""
  for (const [host, n] of perHost) {
    const gap = delayed.has(host) ? Math.max(r.crawl.crawlDelaySeconds * 1000, r.crawl.minDelayMillis) : r.crawl.minDelayMillis
    const t = n * r.crawl.pageMillis + (n - 1) * gap
    if (t > crawlMax) {
      crawlMax = t
      crawlMaxHost = host
    }
  }
  const criticalPath = crawlMax + 2 * r.openAi.millis * j
  const bounds: Record<string, number> = { ...rateBound, criticalPath }
  const [binding, lowerBoundMillis] = Object.entries(bounds).reduce((a, b) => (b[1] > a[1] ? b : a))
  // A tighter bound for the binding vendor: its calls cannot all start in the
  // first instant, and after its last call the company still has work left.
  const tail: Record<string, number> = {
    lusha: r.lusha.millis * j + r.zeroBounce.batchMillis * j + r.openAi.millis * j,
    openai: r.openAi.millis * j,
    tavily: r.tavily.millis * j + 2 * r.openAi.millis * j,
    odoo: r.odoo.millis * j,
    zerobounce: r.zeroBounce.batchMillis * j + r.openAi.millis * j
  }
  return {
    lowerBoundMillis,
    binding,
    bounds,
    boundWithTailMillis: Object.fromEntries(Object.entries(rateBound).map(([v, b]) => [v, b + (tail[v] ?? 0)])),
    criticalPath: { crawlMaxMillis: crawlMax, crawlMaxHost, llmMillis: 2 * r.openAi.millis * j }
  }
}
