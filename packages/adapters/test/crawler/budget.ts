/**
 * CPU budgets for the adversarial property tests. The figures (worst page,
 * time(2n)/time(n)) come from `npm run bench -- crawl`; the tests only fail
 * a function whose time is far from linear: at the 2 MB page limit the
 * quadratic clean-ups this guards against took minutes to hours, the
 * linear ones take well under a second, and the budget sits between.
 */

/** The page limit the crawler reads (CrawlerLive's default `maxBytes`). */
export const pageLimit = 2 * 1024 * 1024

/** CPU milliseconds any one function may spend on one input of `pageLimit` characters. */
export const budgetMillis = 3_000

/** Runs `f` and returns its result with the CPU milliseconds (user + system) it took. */
export const cpuMillis = <A>(f: () => A): { readonly result: A; readonly millis: number } => {
  const start = process.cpuUsage()
  const result = f()
  const used = process.cpuUsage(start)
  return { result, millis: (used.user + used.system) / 1000 }
}
