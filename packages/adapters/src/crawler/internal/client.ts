/**
 * The crawler's HTTP client: every hop of every request is resolved through
 * the `Resolver`, checked against the address policy (no SSRF), checked
 * against the host's robots.txt (fetched once per origin and cached), and
 * sent in the host's politeness turn with a time limit. Redirects are
 * followed by hand so each hop gets all of these checks. Requests share one
 * keep-alive undici agent, owned by the client's scope, whose connect hook
 * checks the address of every connection it opens.
 *
 * @internal
 */
import { Clock, Data, Duration, Effect, Either, Fiber, Ref, SynchronizedRef } from "effect"
import type { Scope } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import type * as Politeness from "../Politeness.js"
import type * as Resolver from "../Resolver.js"
import * as Robots from "../Robots.js"
import { ipLiteral, makePolicy } from "./address.js"
import { fetchOnce, makeAgent, type Response } from "./fetch.js"
import { sameSite } from "./site.js"

/** @internal */
export type FailReason =
  | "invalid"
  | "robots"
  | "address"
  | "offsite"
  | "redirects"
  | "status"
  | "timeout"
  | "unreachable"
  | "notHtml"
  | "crawlDelay"

/** @internal */
export class Failure extends Data.TaggedError("Failure")<{
  readonly reason: FailReason
  readonly url: string
  readonly status?: number | undefined
  readonly cause?: unknown
}> {}

/** @internal */
export interface ClientOptions {
  readonly userAgent: string
  readonly allowAddresses: ReadonlyArray<string>
  readonly requestTimeout: Duration.DurationInput
  readonly maxRedirects: number
  readonly robotsMaxBytes: number
  readonly maxCrawlDelay: Duration.DurationInput
  /**
   * Requests in flight per host (the politeness limit): the agent keeps as
   * many connections per origin. Default: no limit.
   */
  readonly perHost?: number | undefined
}

/** What one crawl spent; each crawl passes its own. @internal */
export interface Tally {
  readonly requests: Ref.Ref<number>
  readonly bytes: Ref.Ref<number>
  readonly refusedByRobots: Ref.Ref<number>
}

/** @internal */
export const makeTally: Effect.Effect<Tally> = Effect.all({
  requests: Ref.make(0),
  bytes: Ref.make(0),
  refusedByRobots: Ref.make(0)
})

interface RobotsEntry {
  readonly rules: Robots.Rules
  readonly crawlDelay: Duration.Duration
  readonly requests: number
  readonly bytes: number
}

/** @internal */
export interface GetOptions {
  readonly maxBytes: number
  readonly readBody: (status: number, headers: IncomingHttpHeaders) => boolean
  /** Check robots.txt before each hop (everything but robots.txt itself). */
  readonly robots: boolean
  /** When set, a redirect off this site is not followed. */
  readonly site?: URL | undefined
}

/** @internal */
export interface Client {
  readonly get: (url: URL, options: GetOptions, tally: Tally) => Effect.Effect<Response, Failure>
  readonly robotsFor: (url: URL, tally: Tally) => Effect.Effect<Robots.Rules>
}

const originOf = (url: URL): string => `${url.protocol}//${url.host}`

/** @internal */
export const makeClient = (
  options: ClientOptions,
  resolver: Resolver.Service,
  politeness: Politeness.Service
): Effect.Effect<Client, never, Scope.Scope> =>
  Effect.gen(function*() {
    const policy = makePolicy(options.allowAddresses)
    // The agent's connect hook runs the resolver from undici's callbacks, in this runtime.
    const agent = yield* makeAgent({
      resolver,
      policy,
      runtime: yield* Effect.runtime<never>(),
      connections: options.perHost === undefined ? undefined : Math.max(1, Math.floor(options.perHost))
    })
    const maxCrawlDelay = Duration.decode(options.maxCrawlDelay)
    const headers = {
      "user-agent": options.userAgent,
      accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
      "accept-encoding": "gzip, deflate, br"
    }

    // Checked here too, before robots.txt and before any connection, so a refused
    // host fails as "address" (the connect hook alone would surface it first as
    // an unreachable robots.txt). The hook still enforces the policy on every
    // connection, whatever this check saw.
    const checkAddress = (url: URL): Effect.Effect<void, Failure> => {
      const literal = ipLiteral(url.hostname)
      const lookup = literal !== undefined
        ? Effect.succeed([literal])
        : resolver.resolve(url.hostname).pipe(
          Effect.mapError((cause) => new Failure({ reason: "unreachable", url: url.href, cause }))
        )
      return Effect.flatMap(lookup, (addresses) => {
        // One refused address refuses the host: DNS may hand out any of them.
        const refused = addresses.find((a) => policy(a) !== "allowed")
        if (refused !== undefined || addresses.length === 0) {
          return Effect.fail(new Failure({ reason: "address", url: url.href, cause: `refused address ${refused ?? "(none)"}` }))
        }
        return Effect.void
      })
    }

    // One hop: in the host's politeness turn, within the time limit.
    const hop = (url: URL, get: GetOptions, tally: Tally) =>
      politeness.run(
        url.host,
        fetchOnce(agent, { url, headers, maxBytes: get.maxBytes, readBody: get.readBody }).pipe(
          Effect.mapError((cause) =>
            new Failure({ reason: cause.reason === "Address" ? "address" : "unreachable", url: url.href, cause })
          ),
          Effect.timeoutFail({
            duration: options.requestTimeout,
            onTimeout: () => new Failure({ reason: "timeout", url: url.href })
          }),
          Effect.ensuring(Ref.update(tally.requests, (n) => n + 1)),
          Effect.tap((res) => Ref.update(tally.bytes, (n) => n + res.wireBytes))
        )
      )

    const follow = (start: URL, get: GetOptions, tally: Tally): Effect.Effect<Response, Failure> =>
      Effect.gen(function*() {
        const seen = new Set<string>()
        let url = start
        for (let hops = 0; ; hops++) {
          if (url.protocol !== "http:" && url.protocol !== "https:") {
            return yield* new Failure({ reason: "invalid", url: url.href })
          }
          seen.add(url.href)
          yield* checkAddress(url)
          if (get.robots) {
            const entry = yield* robotsEntry(url, tally)
            if (!entry.rules.isAllowed(url.href, options.userAgent)) {
              yield* Ref.update(tally.refusedByRobots, (n) => n + 1)
              return yield* new Failure({ reason: "robots", url: url.href })
            }
            if (Duration.greaterThan(entry.crawlDelay, maxCrawlDelay)) {
              return yield* new Failure({ reason: "crawlDelay", url: url.href })
            }
          }
          const res = yield* hop(url, get, tally)
          const location = res.headers.location
          if (res.status < 300 || res.status >= 400 || location === undefined) return res
          const next = yield* Effect.try({
            try: () => new URL(location, url),
            catch: (cause) => new Failure({ reason: "invalid", url: url.href, cause })
          })
          next.hash = ""
          if (get.site !== undefined && !sameSite(get.site, next)) {
            return yield* new Failure({ reason: "offsite", url: next.href })
          }
          if (seen.has(next.href) || hops + 1 > options.maxRedirects) {
            return yield* new Failure({ reason: "redirects", url: start.href })
          }
          url = next
        }
      })

    const fetchRobots = (origin: string): Effect.Effect<RobotsEntry> =>
      Effect.gen(function*() {
        const tally = yield* makeTally
        const robotsUrl = `${origin}/robots.txt`
        const outcome = yield* Effect.either(follow(new URL(robotsUrl), {
          maxBytes: options.robotsMaxBytes,
          readBody: (status) => status >= 200 && status < 300,
          robots: false
        }, tally))
        const rules = Either.match(outcome, {
          // Too many redirects: "unavailable" (RFC 9309 2.3.1.2); unreachable: complete disallow.
          onLeft: (failure) => failure.reason === "redirects" ? Robots.allowAll(robotsUrl) : Robots.disallowAll(robotsUrl),
          onRight: (res) => {
            if (res.status >= 200 && res.status < 300) return Robots.parse(new TextDecoder().decode(res.body), robotsUrl)
            // 429 is a server asking for less, not an absent file: treat it like 5xx.
            if (res.status >= 400 && res.status < 500 && res.status !== 429) return Robots.allowAll(robotsUrl)
            return Robots.disallowAll(robotsUrl)
          }
        })
        const seconds = rules.crawlDelay(options.userAgent)
        const crawlDelay = Duration.millis(Math.round((seconds ?? 0) * 1000))
        if (seconds !== undefined) yield* politeness.setCrawlDelay(new URL(origin).host, crawlDelay)
        return { rules, crawlDelay, requests: yield* Ref.get(tally.requests), bytes: yield* Ref.get(tally.bytes) }
      })

    // One fetch per origin, in a fiber of the client's scope: a crawl that is
    // interrupted while waiting does not cancel the fetch other crawls await.
    const robotsTtl = Duration.toMillis(Duration.hours(24))
    const robotsFibers = yield* SynchronizedRef.make(new Map<string, { readonly fiber: Fiber.Fiber<RobotsEntry>; readonly at: number }>())
    const scope = yield* Effect.scope

    // Robots for a URL's origin, fetched once; the crawl that fetched it is charged for it.
    const robotsEntry = (url: URL, tally: Tally): Effect.Effect<RobotsEntry> =>
      Effect.gen(function*() {
        const origin = originOf(url)
        const now = yield* Clock.currentTimeMillis
        type Entries = Map<string, { readonly fiber: Fiber.Fiber<RobotsEntry>; readonly at: number }>
        const [fiber, mine] = yield* SynchronizedRef.modifyEffect(
          robotsFibers,
          (map): Effect.Effect<readonly [readonly [Fiber.Fiber<RobotsEntry>, boolean], Entries]> => {
            const found = map.get(origin)
            if (found !== undefined && now - found.at < robotsTtl) return Effect.succeed([[found.fiber, false], map])
            return Effect.map(
              Effect.forkIn(fetchRobots(origin), scope),
              (fiber) => [[fiber, true], new Map(map).set(origin, { fiber, at: now })]
            )
          }
        )
        const entry = yield* Fiber.join(fiber)
        if (mine) {
          yield* Ref.update(tally.requests, (n) => n + entry.requests)
          yield* Ref.update(tally.bytes, (n) => n + entry.bytes)
        }
        return entry
      })

    return {
      get: follow,
      robotsFor: (url, tally) => Effect.map(robotsEntry(url, tally), (e) => e.rules)
    }
  })
