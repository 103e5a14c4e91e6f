/**
 * The scaffolding every fake vendor server shares: a real HTTP server on
 * 127.0.0.1 and a free port (a scoped resource: closing the scope closes it),
 * fault knobs, a credit balance and call counters. A vendor's fake supplies
 * only what is vendor-specific: its routes, how it reads the key, and what
 * its 401/429/5xx answers look like.
 *
 * ```ts
 * const server = yield* FakeServer.make({
 *   vendor: {
 *     name: "Tavily",
 *     routes: { "POST /search": (req, ctx) => ... },
 *     authorize: (req, key) => req.headers["authorization"] === `Bearer ${key}`,
 *     unauthorized: () => ({ status: 401, body: { detail: { error: "Unauthorized" } } }),
 *     rateLimited: () => ({ status: 429, body: ... }),
 *     serverError: () => ({ status: 500, body: ... }),
 *     notFound: () => ({ status: 404, body: ... })
 *   },
 *   knobs: { seed: 7, credits: 10, rateLimit: { limit: 5, interval: "1 second" } }
 * })
 * server.url            // "http://127.0.0.1:54321"
 * yield* server.calls   // { "POST /search": 3 }
 * ```
 *
 * Per request, in order: count the call, wait the latency, maybe hang
 * (`hangRate`: never answer, nothing processed), check the key (a wrong
 * `apiKey` is the vendor's 401), check the rate limit (fixed window on
 * `Clock`), maybe answer 429 (`rateLimitedRate`) or 5xx
 * (`serverErrorRate`) before processing, run the route (which bills what
 * it spends), then maybe hang after processing (`hangAfterRate`: billed,
 * never answered) or truncate a 200's JSON body (`malformedRate`: billed,
 * unreadable). Every credit spent is journaled (`billed`) with what it
 * paid for, when its request arrived and when its route finished.
 * Random draws come from one generator seeded by
 * `knobs.seed`; the 429 and hang-after draws are made only when their
 * knobs are set, so older seeds keep their sequences.
 *
 * @internal
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Clock, Duration, Effect, Ref, type Scope } from "effect"
import { createHash } from "node:crypto"
import { createServer, type Server } from "node:http"
import type * as FakeVendor from "../../testing/FakeVendor.js"
import * as Prng from "./Prng.js"

/** Latency: see `FakeVendor.Latency`. @internal */
export type Latency = FakeVendor.Latency

/** The knobs: see `FakeVendor.Knobs`. @internal */
export type Knobs = FakeVendor.Knobs

/**
 * Defaults: seed 1, key `"test-key"`, no faults, unlimited credits.
 *
 * @internal
 */
export const defaults: Knobs = { seed: 1, apiKey: "test-key" }

/**
 * A request as a vendor route sees it.
 *
 * @internal
 */
export interface FakeRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  /** The parsed JSON body; undefined when absent or not JSON. */
  readonly body: unknown
  readonly rawBody: string
}

/**
 * An answer: status, JSON body (or raw text) and extra headers.
 *
 * @internal
 */
export interface FakeResponse {
  readonly status: number
  readonly body?: unknown
  readonly text?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * What a route gets besides the request.
 *
 * @internal
 */
export interface RouteContext {
  readonly seed: number
  /** Draws from the server's seeded generator. */
  readonly random: Effect.Effect<number>
  /** The balance now (undefined: unlimited). */
  readonly balance: Effect.Effect<number | undefined>
  /**
   * Spends `n` credits if the balance covers them; false otherwise. `key`
   * names what was paid for in the journal (ZeroBounce: the address);
   * default the request's {@link requestKey}.
   */
  readonly spend: (n: number, key?: string) => Effect.Effect<boolean>
}

/**
 * A vendor route.
 *
 * @internal
 */
export type Route = (request: FakeRequest, context: RouteContext) => Effect.Effect<FakeResponse>

/**
 * What makes a fake speak one vendor.
 *
 * @internal
 */
export interface Vendor {
  readonly name: string
  /** Keyed by `"METHOD /path"`. */
  readonly routes: Readonly<Record<string, Route>>
  readonly authorize: (request: FakeRequest, apiKey: string) => boolean
  readonly unauthorized: (request: FakeRequest) => FakeResponse
  readonly rateLimited: (request: FakeRequest, resetMillis: number) => FakeResponse
  readonly serverError: (request: FakeRequest) => FakeResponse
  readonly notFound: (request: FakeRequest) => FakeResponse
  /** Adds headers every answer carries (Lusha's rate-limit headers). */
  readonly decorate?: ((response: FakeResponse, window: WindowState) => FakeResponse) | undefined
}

const withoutKey = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value
  const { api_key: _key, apiKey: _other, ...rest } = value as Record<string, unknown>
  return rest
}

/**
 * A request's default billing key: `METHOD /path#<hash of query and body, key fields removed>`.
 *
 * @internal
 */
export const requestKey = (request: FakeRequest): string =>
  `${request.method} ${request.path}#${
    createHash("sha256")
      .update(JSON.stringify([withoutKey(request.query), request.body === undefined ? request.rawBody : withoutKey(request.body)]))
      .digest("hex")
      .slice(0, 16)
  }`

/**
 * The rate-limit window as seen by `decorate`.
 *
 * @internal
 */
export interface WindowState {
  readonly limit: number | undefined
  readonly used: number
}

/** A running fake server: see `FakeVendor.Server`. @internal */
export type FakeServer = FakeVendor.Server

const drawLatency = (latency: Latency | undefined, r: number): Duration.Duration => {
  if (latency === undefined) return Duration.zero
  if (typeof latency === "object" && "min" in latency && "max" in latency) {
    const min = Duration.toMillis(Duration.decode(latency.min))
    const max = Duration.toMillis(Duration.decode(latency.max))
    return Duration.millis(min + (max - min) * r)
  }
  return Duration.decode(latency)
}

const toHttp = (response: FakeResponse): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(response.text ?? JSON.stringify(response.body ?? null), {
    status: response.status,
    contentType: "application/json",
    headers: response.headers ?? {}
  })

const parseBody = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Starts a fake server for `vendor` with `knobs` (over {@link defaults}).
 *
 * @internal
 */
export const make = (options: {
  readonly vendor: Vendor
  readonly knobs?: Partial<Knobs> | undefined
}): Effect.Effect<FakeServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { vendor } = options
    const initial: Knobs = { ...defaults, ...options.knobs }
    const knobsRef = yield* Ref.make(initial)
    const prngRef = yield* Ref.make(Prng.make(initial.seed))
    const calls = yield* Ref.make<Record<string, number>>({})
    const credits = yield* Ref.make({ balance: initial.credits, used: 0, billedCalls: 0 })
    const window = yield* Ref.make({ start: 0, used: 0, blockedUntil: 0 })
    const billed: Array<FakeVendor.Billed> = []
    const arrivals: Array<FakeVendor.Arrival> = []

    const random = Effect.flatMap(Ref.get(prngRef), (prng) => Effect.sync(prng))
    const context: RouteContext = {
      seed: initial.seed,
      random,
      balance: Effect.map(Ref.get(credits), (c) => c.balance),
      spend: (n) =>
        Ref.modify(credits, (c) => {
          if (c.balance !== undefined && c.balance < n) return [false, c]
          return [true, { ...c, balance: c.balance === undefined ? undefined : c.balance - n, used: c.used + n }]
        })
    }

    const takeWindow = (knobs: Knobs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(window, (w) => {
          const limit = knobs.rateLimit
          if (limit === undefined) return [{ ok: true, used: w.used + 1, resetMillis: 0 }, { ...w, used: w.used + 1 }]
          if (now < w.blockedUntil) return [{ ok: false, used: w.used, resetMillis: w.blockedUntil - now }, w]
          const size = Duration.toMillis(Duration.decode(limit.interval))
          // A window ends after its interval, and a block ends with a fresh window.
          const expired = now - w.start >= size || (w.blockedUntil > 0 && now >= w.blockedUntil)
          const current = expired ? { start: now, used: 0, blockedUntil: 0 } : w
          if (current.used < limit.limit) {
            return [{ ok: true, used: current.used + 1, resetMillis: current.start + size - now }, {
              ...current,
              used: current.used + 1
            }]
          }
          const block = limit.block === undefined ? 0 : Duration.toMillis(Duration.decode(limit.block))
          return block > 0
            ? [{ ok: false, used: current.used, resetMillis: block }, { ...current, blockedUntil: now + block }]
            : [{ ok: false, used: current.used, resetMillis: current.start + size - now }, current]
        }))

    const handle = (request: FakeRequest) =>
      Effect.gen(function*() {
        const startedAt = yield* Clock.currentTimeMillis
        const key = `${request.method} ${request.path}`
        const route = vendor.routes[key]
        arrivals.push({ endpoint: route === undefined ? "unknown" : key, at: startedAt })
        yield* Ref.update(calls, (c) => {
          const name = route === undefined ? "unknown" : key
          return { ...c, [name]: (c[name] ?? 0) + 1 }
        })
        const knobs = yield* Ref.get(knobsRef)
        const [latencyDraw, hangDraw, errorDraw, malformedDraw] = [yield* random, yield* random, yield* random, yield* random]
        const limitedDraw = (knobs.rateLimitedRate ?? 0) > 0 ? yield* random : 1
        const hangAfterDraw = (knobs.hangAfterRate ?? 0) > 0 ? yield* random : 1
        const latency = drawLatency(knobs.latency, latencyDraw)
        if (Duration.toMillis(latency) > 0) yield* Effect.sleep(latency)
        if (hangDraw < (knobs.hangRate ?? 0)) return yield* Effect.never
        if (route === undefined) return vendor.notFound(request)
        if (!vendor.authorize(request, knobs.apiKey)) return vendor.unauthorized(request)
        const w = yield* takeWindow(knobs)
        const decorate = (response: FakeResponse) =>
          vendor.decorate ? vendor.decorate(response, { limit: knobs.rateLimit?.limit, used: w.used }) : response
        if (!w.ok) return decorate(vendor.rateLimited(request, w.resetMillis))
        if (limitedDraw < (knobs.rateLimitedRate ?? 0)) return decorate(vendor.rateLimited(request, 1_000))
        if (errorDraw < (knobs.serverErrorRate ?? 0)) return decorate(vendor.serverError(request))
        // what this request spends, so a billed call is counted once however much it cost
        const units: Array<{ readonly key: string | undefined; readonly credits: number }> = []
        const spend = (n: number, unit?: string) =>
          Effect.tap(context.spend(n), (ok) => {
            if (!ok || n <= 0) return Effect.void
            units.push({ key: unit, credits: n })
            return units.length === 1 ? Ref.update(credits, (c) => ({ ...c, billedCalls: c.billedCalls + 1 })) : Effect.void
          })
        const response = decorate(yield* route(request, { ...context, spend }))
        if (units.length > 0) {
          const endedAt = yield* Clock.currentTimeMillis
          for (const unit of units) {
            billed.push({ endpoint: key, key: unit.key ?? requestKey(request), credits: unit.credits, startedAt, endedAt })
          }
        }
        if (hangAfterDraw < (knobs.hangAfterRate ?? 0)) return yield* Effect.never
        if (response.status === 200 && malformedDraw < (knobs.malformedRate ?? 0)) {
          const text = response.text ?? JSON.stringify(response.body ?? null)
          return { ...response, text: text.slice(0, Math.max(1, Math.floor(text.length / 2))) }
        }
        return response
      })

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://127.0.0.1")
      const rawBody = request.method === "GET" ? "" : yield* Effect.orElseSucceed(request.text, () => "")
      const fake: FakeRequest = {
        method: request.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams.entries()),
        headers: request.headers,
        body: parseBody(rawBody),
        rawBody
      }
      return toHttp(yield* handle(fake))
    })

    let node: Server | undefined
    const server = yield* NodeHttpServer.make(() => {
      node = createServer()
      return node
    }, { port: 0, host: "127.0.0.1" }).pipe(Effect.orDie)
    // Runs before the server's own close, so hung connections do not hold it open.
    yield* Effect.addFinalizer(() => Effect.sync(() => node?.closeAllConnections()))
    yield* server.serve(app)
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      calls: Ref.get(calls),
      callsOf: (endpoint) => Effect.map(Ref.get(calls), (c) => c[endpoint] ?? 0),
      creditsUsed: Effect.map(Ref.get(credits), (c) => c.used),
      billedCalls: Effect.map(Ref.get(credits), (c) => c.billedCalls),
      billed: (since = 0) => Effect.sync(() => billed.slice(since)),
      arrivals: (since = 0) => Effect.sync(() => arrivals.slice(since)),
      balance: Effect.map(Ref.get(credits), (c) => c.balance),
      setKnobs: (patch) =>
        Effect.zipRight(
          Ref.update(knobsRef, (k) => ({ ...k, ...patch })),
          "credits" in patch ? Ref.update(credits, (c) => ({ ...c, balance: patch.credits })) : Effect.void
        ),
      knobs: Ref.get(knobsRef)
    } satisfies FakeServer
  })
