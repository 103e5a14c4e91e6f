/**
 * The live crawler: core's {@link Crawler.Crawler} port over HTTP. For one
 * website it fetches robots.txt (once per origin, cached), the home page,
 * the sitemap named in robots.txt when there is one, and up to `maxPages`
 * more pages picked by link text and path; it turns them into text and
 * signals in one linear pass and merges a corpus cut at `corpusCharLimit`.
 *
 * Every request goes through the {@link Resolver.Resolver} and the address
 * policy (no loopback, private, link-local, multicast or metadata addresses
 * unless `allowAddresses` names them), robots.txt, and the shared
 * {@link Politeness.Politeness} turn of its host; redirects are followed by
 * hand so every hop gets the same checks.
 *
 * The event loop only fetches: decoding and extracting pages and scanning
 * the sitemap run on `parseWorkers` threads shared by the layer's crawls,
 * under a deadline per page (`parseTimeout`). A page past it is skipped as
 * `parseTimeout` (a home page fails the crawl with `ParseTimeout`) and its
 * thread is replaced; a page whose parser crashed or threw is skipped as
 * `error` (a home page fails the crawl with `ParseFailed`). The worker
 * script is found next to the bundle (`dist/parseWorker.js` or `.cjs`); if
 * you bundle the library yourself, copy it next to your bundle or set
 * `parseWorkerScript`.
 *
 * ```ts
 * const crawler = CrawlerLive.layer({ maxPages: 4 }).pipe(Layer.provide(Resolver.layer))
 * ```
 *
 * @since 0.1.0
 */
import { Crawler } from "@leadgraph/core"
import { Clock, Config, ConfigError, Duration, Effect, Either, Layer, Ref } from "effect"
import type { Scope } from "effect"
import { availableParallelism } from "node:os"
import * as Politeness from "./Politeness.js"
import * as Resolver from "./Resolver.js"
import { isRange } from "./internal/address.js"
import { makeClient, makeTally, type Tally } from "./internal/client.js"
import { fetchPage, homeError, mergeSignals, type ParsePool, parseWebsite, skipReasonOf, toPage } from "./internal/pages.js"
import { defaultWorkerScript, prepare, type Result, runTask, type Task } from "./internal/parse.js"
import { pick, sameSite } from "./internal/pick.js"
import * as WorkerPool from "./internal/pool.js"

/**
 * Crawler options. Politeness options apply when the crawler builds its own
 * {@link Politeness.Politeness} (see {@link layer}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Sent as `User-Agent`; its product token is what robots.txt groups are matched against. */
  readonly userAgent: string
  /** Pages fetched besides the home page. */
  readonly maxPages: number
  /** Decoded bytes read per page; the rest is never read. */
  readonly maxBytes: number
  /** Time limit of one request (one hop). */
  readonly requestTimeout: Duration.DurationInput
  /** Redirects followed per request. */
  readonly maxRedirects: number
  /** Bytes of robots.txt parsed (RFC 9309 asks for at least 500 KiB). */
  readonly robotsMaxBytes: number
  /** A site whose Crawl-delay is longer is not crawled at all. */
  readonly maxCrawlDelay: Duration.DurationInput
  /** Characters of merged corpus kept (`EXTRACT_CORPUS_CHAR_LIMIT`). */
  readonly corpusCharLimit: number
  /** CIDRs that may be reached although not public (e.g. `"127.0.0.1/32"` for fixture sites). */
  readonly allowAddresses: ReadonlyArray<string>
  /** Use the first same-site sitemap listed in robots.txt as a source of candidate pages. */
  readonly useSitemap: boolean
  /** Scheme for websites given without one. */
  readonly defaultScheme: "https" | "http"
  /** Requests in flight per host. */
  readonly perHost: number
  /** The least time between two requests to a host. */
  readonly minDelay: Duration.DurationInput
  /** Threads that parse pages; `0` parses on the event loop, where no deadline can stop a page. */
  readonly parseWorkers: number
  /** Deadline of parsing one page (or the sitemap) on a worker thread; a page past it is skipped. */
  readonly parseTimeout: Duration.DurationInput
  /** The parse worker's script (URL or path; `.ts` runs with tsx) when not next to the bundle. */
  readonly parseWorkerScript: URL | string | undefined
}

/**
 * Parse threads by default: half the machine's cores, at least 2 and at
 * most 8 (2 on a 2- or 4-core machine, 4 on 8 cores). Not one per core: the
 * crawler mostly waits on the network and per-host delays, an ordinary
 * page parses in milliseconds, and the main thread needs a core of its
 * own; at least two, so pages keep flowing while one thread is stuck on a
 * page until its deadline.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultParseWorkers: number = Math.min(8, Math.max(2, Math.floor(availableParallelism() / 2)))

/**
 * Defaults: 6 pages besides the home page, 2 MB per page, 15 s per request,
 * 5 redirects, 500 KiB of robots.txt, Crawl-delay up to 30 s, a 40,000
 * character corpus, no private addresses, one request per host at a time
 * and 500 ms between them; {@link defaultParseWorkers} parse threads with
 * a 5 s deadline per page.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults: Options = {
  userAgent: "LeadGraphBot/0.1 (+https://github.com/leadgraph/leadgraph)",
  maxPages: 6,
  maxBytes: 2 * 1024 * 1024,
  requestTimeout: "15 seconds",
  maxRedirects: 5,
  robotsMaxBytes: 500 * 1024,
  maxCrawlDelay: "30 seconds",
  corpusCharLimit: 40_000,
  allowAddresses: [],
  useSitemap: true,
  defaultScheme: "https",
  perHost: Politeness.defaults.perHost,
  minDelay: Politeness.defaults.minDelay,
  parseWorkers: defaultParseWorkers,
  parseTimeout: "5 seconds",
  parseWorkerScript: undefined
}

/** Cuts text at `limit` characters without splitting a surrogate pair. */
const cut = (text: string, limit: number): string => {
  if (text.length <= limit) return text
  const end = limit > 0 && /[\uD800-\uDBFF]/.test(text.charAt(limit - 1)) ? limit - 1 : limit
  return text.slice(0, end)
}

/**
 * The merged corpus of some pages: per page a `## title` line, its URL and
 * its text, cut at `limit` characters.
 *
 * @since 0.1.0
 * @category utils
 */
export const corpusOf = (pages: ReadonlyArray<Crawler.Page>, limit: number): { readonly corpus: string; readonly truncated: boolean } => {
  const full = pages
    .map((p) => [`## ${p.title || p.url}`, p.url, p.description, p.text].filter((s) => s !== "").join("\n"))
    .join("\n\n")
  const corpus = cut(full, limit)
  return { corpus, truncated: corpus.length < full.length }
}

/**
 * Builds the crawler over a resolver and a politeness service. robots.txt
 * fetches run in fibers of the scope, and the parse threads belong to it:
 * closing it stops them all.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: Partial<Options>
): Effect.Effect<Crawler.Service, never, Resolver.Resolver | Politeness.Politeness | Scope.Scope> =>
  Effect.gen(function*() {
    const o = { ...defaults, ...options }
    const client = yield* makeClient(o, yield* Resolver.Resolver, yield* Politeness.Politeness)
    const pool: ParsePool = yield* WorkerPool.make<Task, Result>({
      size: o.parseWorkers,
      script: o.parseWorkerScript ?? defaultWorkerScript(),
      timeout: o.parseTimeout,
      inline: runTask,
      prepare
    })

    const sitemapFor = (home: URL, tally: Tally): Effect.Effect<ReadonlyArray<string>> =>
      Effect.gen(function*() {
        if (!o.useSitemap) return []
        const rules = yield* client.robotsFor(home, tally)
        const first = rules.sitemaps.map((s) => URL.canParse(s) ? new URL(s) : undefined)
          .find((u): u is URL => u !== undefined && sameSite(home, u))
        if (first === undefined) return []
        const res = yield* client.get(first, {
          maxBytes: o.maxBytes,
          readBody: (s) => s >= 200 && s < 300,
          robots: true,
          site: home
        }, tally)
        if (res.status < 200 || res.status >= 300) return []
        const parsed = yield* pool.run({ kind: "sitemap", body: res.body })
        return parsed.kind === "sitemap" ? parsed.locations : []
      }).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))

    const crawl = Effect.fn("CrawlerLive.crawl")(function*(website: string) {
      const started = yield* Clock.currentTimeMillis
      const start = parseWebsite(website, o.defaultScheme)
      if (start === undefined) return yield* new Crawler.CrawlerError({ reason: "InvalidUrl", url: website })
      const tally = yield* makeTally
      const home = yield* fetchPage(client, pool, start, o.maxBytes, tally).pipe(Effect.mapError(homeError))
      const homeUrl = new URL(home.res.url)
      const pages = [toPage(home.res.url, "home", home.res.status, home.bytes, home.res.truncated, home.extracted)]
      const skipped: Array<Crawler.Skipped> = []
      const sitemap = yield* sitemapFor(homeUrl, tally)
      for (const candidate of pick(homeUrl, home.extracted.links, sitemap, o.maxPages)) {
        const outcome = yield* Effect.either(fetchPage(client, pool, new URL(candidate.url), o.maxBytes, tally, homeUrl))
        if (outcome._tag === "Left") {
          const failure = outcome.left
          if (failure._tag === "ParseFailed" && failure.cause._tag !== "TaskTimeout") {
            yield* Effect.logWarning(`page skipped: ${failure.cause.message}`).pipe(Effect.annotateLogs("url", failure.url))
          }
          skipped.push(new Crawler.Skipped({ url: candidate.url, reason: skipReasonOf(failure) }))
          continue
        }
        const { bytes, extracted, res } = outcome.right
        // A redirect may land off the site or on a page already kept.
        if (!sameSite(homeUrl, new URL(res.url))) {
          skipped.push(new Crawler.Skipped({ url: candidate.url, reason: "offsite" }))
          continue
        }
        if (pages.some((p) => p.url === res.url)) continue
        pages.push(toPage(res.url, candidate.role, res.status, bytes, res.truncated, extracted))
      }
      const { corpus, truncated } = corpusOf(pages, o.corpusCharLimit)
      const finished = yield* Clock.currentTimeMillis
      return new Crawler.CrawlResult({
        website,
        finalUrl: home.res.url,
        pages,
        corpus,
        corpusTruncated: truncated,
        signals: mergeSignals(pages),
        skipped,
        stats: new Crawler.CrawlStats({
          requests: yield* Ref.get(tally.requests),
          pages: pages.length,
          refusedByRobots: yield* Ref.get(tally.refusedByRobots),
          bytes: yield* Ref.get(tally.bytes),
          millis: finished - started
        })
      })
    })

    return { crawl }
  })

/**
 * The crawler as a layer, with its own politeness state (shared by every
 * fiber that uses this layer). Needs a {@link Resolver.Resolver}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Partial<Options>): Layer.Layer<Crawler.Crawler, never, Resolver.Resolver> =>
  Layer.scoped(Crawler.Crawler, make(options)).pipe(
    Layer.provide(Politeness.layer({
      perHost: options?.perHost ?? defaults.perHost,
      minDelay: options?.minDelay ?? defaults.minDelay
    }))
  )

/**
 * The options read from the environment: `EXTRACT_CORPUS_CHAR_LIMIT`
 * (corpus characters), `CRAWLER_USER_AGENT`, `CRAWLER_MAX_PAGES`,
 * `CRAWLER_MIN_DELAY_MS`, `CRAWLER_PARSE_WORKERS` (threads, `0` for none),
 * `CRAWLER_PARSE_TIMEOUT_MS` and `CRAWLER_ALLOW_ADDRESSES` (comma-separated
 * CIDRs of private addresses that may be reached), each optional.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Partial<Options>> = Config.all({
  corpusCharLimit: Config.option(Config.integer("EXTRACT_CORPUS_CHAR_LIMIT").pipe(
    Config.validate({ message: "must be positive", validation: (n) => n > 0 }),
    Config.withDescription("Characters of crawled text kept as the extraction corpus")
  )),
  userAgent: Config.option(Config.string("CRAWLER_USER_AGENT").pipe(
    Config.withDescription("User-Agent of the crawler; its product token is matched against robots.txt")
  )),
  maxPages: Config.option(Config.integer("CRAWLER_MAX_PAGES").pipe(
    Config.withDescription("Pages crawled per site besides the home page")
  )),
  minDelay: Config.option(Config.integer("CRAWLER_MIN_DELAY_MS").pipe(
    Config.map((ms) => Duration.millis(ms)),
    Config.withDescription("Least milliseconds between two requests to one host")
  )),
  parseWorkers: Config.option(Config.integer("CRAWLER_PARSE_WORKERS").pipe(
    Config.validate({ message: "must be an integer >= 0", validation: (n) => n >= 0 }),
    Config.withDescription("Worker threads that parse crawled pages (0: parse on the event loop, with no deadline)")
  )),
  allowAddresses: Config.option(Config.array(Config.string(), "CRAWLER_ALLOW_ADDRESSES").pipe(
    Config.map((entries) => entries.map((e) => e.trim()).filter((e) => e !== "")),
    Config.mapOrFail((entries) => {
      const bad = entries.find((e) => !isRange(e))
      return bad === undefined ? Either.right(entries) : Either.left(ConfigError.InvalidData(
        ["CRAWLER_ALLOW_ADDRESSES"],
        `CRAWLER_ALLOW_ADDRESSES entry "${bad.slice(0, 100)}" is not an IP address or CIDR (127.0.0.1/32, 10.0.0.0/8, ::1/128)`
      ))
    }),
    Config.withDescription("Comma-separated CIDRs of private addresses the crawler may reach (e.g. 127.0.0.1/32 for fixture sites)")
  )),
  parseTimeout: Config.option(Config.integer("CRAWLER_PARSE_TIMEOUT_MS").pipe(
    Config.validate({ message: "must be positive", validation: (n) => n > 0 }),
    Config.map((ms) => Duration.millis(ms)),
    Config.withDescription("Milliseconds a worker thread may spend parsing one page before the page is skipped")
  ))
}).pipe(Config.map((c) => {
  const out: { -readonly [K in keyof Options]?: Options[K] } = {}
  if (c.corpusCharLimit._tag === "Some") out.corpusCharLimit = c.corpusCharLimit.value
  if (c.userAgent._tag === "Some") out.userAgent = c.userAgent.value
  if (c.maxPages._tag === "Some") out.maxPages = c.maxPages.value
  if (c.minDelay._tag === "Some") out.minDelay = c.minDelay.value
  if (c.parseWorkers._tag === "Some") out.parseWorkers = c.parseWorkers.value
  if (c.parseTimeout._tag === "Some") out.parseTimeout = c.parseTimeout.value
  if (c.allowAddresses._tag === "Some") out.allowAddresses = c.allowAddresses.value
  return out
}))

/**
 * The crawler with options from {@link config} (or another config), over
 * `overrides` given in code.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides?: Partial<Options>,
  source: Config.Config<Partial<Options>> = config
): Layer.Layer<Crawler.Crawler, ConfigError.ConfigError, Resolver.Resolver> =>
  Layer.unwrapEffect(Effect.map(source, (fromEnv) => layer({ ...overrides, ...fromEnv })))
