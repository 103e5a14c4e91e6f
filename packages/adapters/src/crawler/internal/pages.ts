/**
 * The pages of one crawl: a website given as text made a URL, one HTML page
 * fetched through the client and parsed on the pool, the crawl's failures
 * mapped onto core's `CrawlerError` reasons and `Crawler.SkipReason`s, and
 * the parsed pages turned into core's `Page`s with their signals merged.
 * `CrawlerLive` composes these into a crawl.
 *
 * @internal
 */
import { Crawler } from "@leadgraph/core"
import { Data, Effect } from "effect"
import { type Client, type FailReason, Failure, type Tally } from "./client.js"
import { clearlyNotHtml, isHtml } from "./decode.js"
import type { Extracted } from "./extract.js"
import type { PageResult, PageTask, Result, Task } from "./parse.js"
import type * as WorkerPool from "./pool.js"

const errorReason: Record<FailReason, Crawler.CrawlerError["reason"]> = {
  invalid: "InvalidUrl",
  robots: "RobotsDisallowed",
  address: "AddressRefused",
  offsite: "InvalidUrl",
  redirects: "TooManyRedirects",
  status: "HttpStatus",
  timeout: "Timeout",
  unreachable: "Unreachable",
  notHtml: "NotHtml",
  crawlDelay: "CrawlDelayTooLong"
}

const skipReason: Record<FailReason, Crawler.SkipReason> = {
  invalid: "error",
  robots: "robots",
  address: "address",
  offsite: "offsite",
  redirects: "redirects",
  status: "status",
  timeout: "timeout",
  unreachable: "error",
  notHtml: "notHtml",
  crawlDelay: "robots"
}

const toError = (f: Failure): Crawler.CrawlerError =>
  new Crawler.CrawlerError({ reason: errorReason[f.reason], url: f.url, status: f.status, cause: f.cause })

/** Parsing a fetched page failed on the pool: past its deadline, crashed, or threw. @internal */
export class ParseFailed extends Data.TaggedError("ParseFailed")<{ readonly url: string; readonly cause: WorkerPool.PoolError }> {}

/** Why a page the home page links to is not kept. @internal */
export const skipReasonOf = (e: Failure | ParseFailed): Crawler.SkipReason =>
  e._tag === "Failure" ? skipReason[e.reason] : e.cause._tag === "TaskTimeout" ? "parseTimeout" : "error"

/** The crawl's error when the home page cannot be had. @internal */
export const homeError = (e: Failure | ParseFailed): Crawler.CrawlerError =>
  e._tag === "Failure"
    ? toError(e)
    : new Crawler.CrawlerError({ reason: e.cause._tag === "TaskTimeout" ? "ParseTimeout" : "ParseFailed", url: e.url, cause: e.cause })

const uniqueBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): Array<A> => {
  const seen = new Set<string>()
  return items.filter((a) => (seen.has(key(a)) ? false : (seen.add(key(a)), true)))
}

/** The signals of some pages, each found once (addresses case-insensitively). @internal */
export const mergeSignals = (pages: ReadonlyArray<Crawler.Page>): Crawler.Signals =>
  new Crawler.Signals({
    emails: uniqueBy(pages.flatMap((p) => p.signals.emails), (e) => e),
    phones: uniqueBy(pages.flatMap((p) => p.signals.phones), (p) => p),
    socials: uniqueBy(pages.flatMap((p) => p.signals.socials), (s) => s.url),
    addresses: uniqueBy(pages.flatMap((p) => p.signals.addresses), (a) => a.toLowerCase())
  })

/** A parsed page as core's `Page`. @internal */
export const toPage = (url: string, role: Crawler.PageRole, status: number, bytes: number, truncated: boolean, x: Extracted) =>
  new Crawler.Page({
    url, role, status, bytes, truncated, title: x.title, description: x.description, headings: x.headings, text: x.text,
    signals: new Crawler.Signals({
      emails: x.emails, phones: x.phones, socials: x.socials.map((s) => new Crawler.SocialLink(s)), addresses: x.addresses
    })
  })

/** A website as an http(s) URL without fragment (`scheme` when it names none); undefined when it is none. @internal */
export const parseWebsite = (website: string, scheme: string): URL | undefined => {
  const trimmed = website.trim()
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `${scheme}://${trimmed}`)
    url.hash = ""
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined
  } catch {
    return undefined
  }
}

/** The parse threads of a crawler. @internal */
export type ParsePool = WorkerPool.Pool<Task, Result>

const parsePage = (pool: ParsePool, task: PageTask): Effect.Effect<PageResult, ParseFailed> =>
  pool.run(task).pipe(Effect.mapError((cause) => new ParseFailed({ url: task.url, cause })), Effect.flatMap((r) =>
    r.kind === "page" ? Effect.succeed(r) : Effect.dieMessage("parse worker: not a page result")))

/**
 * Fetches one HTML page and parses it on the pool (the body may be
 * transferred: `bytes` is its length).
 *
 * @internal
 */
export const fetchPage = (client: Client, pool: ParsePool, url: URL, maxBytes: number, tally: Tally, site?: URL) =>
  Effect.gen(function*() {
    const res = yield* client.get(url, {
      maxBytes,
      readBody: (status, headers) => status >= 200 && status < 300 && !clearlyNotHtml(headers["content-type"]),
      robots: true,
      site
    }, tally)
    if (res.status < 200 || res.status >= 300) {
      return yield* new Failure({ reason: "status", url: res.url, status: res.status })
    }
    const contentType = res.headers["content-type"]
    if (res.bodySkipped || !isHtml(contentType, res.body)) {
      return yield* new Failure({ reason: "notHtml", url: res.url, status: res.status })
    }
    const bytes = res.body.length
    const { extracted } = yield* parsePage(pool, { kind: "page", url: res.url, contentType, body: res.body })
    return { res, bytes, extracted }
  })
