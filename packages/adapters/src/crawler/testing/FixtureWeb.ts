/**
 * A local fixture web for the crawler's tests, the demo and the benchmarks:
 * one HTTP server on 127.0.0.1 (port 0) serving, by `Host` header, 22
 * seeded company sites under `*.test` (about, team with names, titles and
 * emails, contact, careers, products; English, German, French and Spanish;
 * gzip, brotli or plain) and the hostile sites the crawler must survive.
 * A decoy listener on 127.0.0.2 (same port) stands for a private address:
 * it logs any request that reaches it. Every request is logged with a
 * timestamp from `Clock`.
 *
 * ```ts
 * const web = yield* FixtureWeb.make()
 * const crawler = CrawlerLive.layer({ allowAddresses: ["127.0.0.1/32"] })
 *   .pipe(Layer.provide(web.resolver))
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Fiber, Layer, Runtime } from "effect"
import type { Scope } from "effect"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import * as Resolver from "../Resolver.js"
import { hostileSites } from "./hostile.js"
import { companies, render } from "./sites.js"
import { makeShiftJisEncoder } from "./sjis.js"

/**
 * A person on a company's team page.
 *
 * @since 0.1.0
 * @category models
 */
export interface Person {
  readonly name: string
  readonly title: string
  readonly email: string
}

/**
 * The language of a company site (it decides its paths and link texts).
 *
 * @since 0.1.0
 * @category models
 */
export type Language = "en" | "de" | "fr" | "es"

/**
 * A seeded company and how its site is built: the data the crawler should
 * find, and the variations (address markup, email style, encoding, robots).
 *
 * @since 0.1.0
 * @category models
 */
export interface Company {
  readonly host: string
  readonly name: string
  readonly industry: string
  readonly language: Language
  readonly street: string
  readonly postalCode: string
  readonly city: string
  readonly country: string
  readonly phone: string
  readonly email: string
  readonly people: ReadonlyArray<Person>
  readonly jobs: ReadonlyArray<string>
  readonly products: ReadonlyArray<string>
  readonly socials: ReadonlyArray<string>
  readonly addressMarkup: "address" | "microdata" | "jsonld"
  readonly emailStyle: "mailto" | "obfuscated" | "cloudflare"
  readonly encoding: "gzip" | "br" | "identity"
  /** robots.txt body (`{origin}` stands for the site's origin); none means 404. */
  readonly robots: string | undefined
  readonly sitemap: boolean
}

/**
 * What the fixture server answers for a path: a page (any status, type,
 * charset and encoding), a redirect, a page that never ends, or a slow drip.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply =
  | {
    readonly kind: "page"
    readonly status?: number
    readonly contentType?: string
    readonly body: string | Uint8Array
    readonly charset?: "utf-8" | "latin1" | "shift_jis"
    readonly encoding?: "gzip" | "br" | "identity"
  }
  | { readonly kind: "redirect"; readonly location: string; readonly status?: number }
  | { readonly kind: "endless" }
  | { readonly kind: "drip"; readonly everyMillis: number }

/**
 * A fixture site: its host name, a one-line note and how it answers a path
 * (given the server's port, for absolute links).
 *
 * @since 0.1.0
 * @category models
 */
export interface Site {
  readonly host: string
  readonly kind: "company" | "hostile"
  readonly note: string
  readonly route: (path: string, port: number) => Reply | undefined
}

/**
 * One request as the fixture server saw it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  /** Arrival time in milliseconds (`Clock`). */
  readonly time: number
  readonly host: string
  readonly path: string
  readonly status: number
  readonly userAgent: string
  /** The local address the request arrived on: `127.0.0.2` means a private address was reached. */
  readonly localAddress: string
  /**
   * When the answer was sent in full or the connection closed (`Clock`
   * milliseconds); undefined while the request is open.
   */
  readonly answered?: number | undefined
}

/**
 * A running fixture web.
 *
 * @since 0.1.0
 * @category models
 */
export interface FixtureWeb {
  readonly port: number
  /** The seeded company sites. */
  readonly companies: ReadonlyArray<Company>
  /** Every site, company and hostile, with a one-line note. */
  readonly sites: ReadonlyArray<Site>
  /** `http://host:port/` for a fixture host. */
  readonly url: (host: string) => string
  /** The access log, in arrival order. */
  readonly log: Effect.Effect<ReadonlyArray<Entry>>
  readonly clearLog: Effect.Effect<void>
  /** Maps `*.test` to 127.0.0.1, and `intranet.test` and `www.offsite.test` to the decoy at 127.0.0.2. */
  readonly resolver: Layer.Layer<Resolver.Resolver>
}

/**
 * Fixture options: the seed of the company data, how many company sites
 * (default 22), a delay before every answer (default none), and a
 * `Crawl-delay` (seconds) added to every company's robots.txt.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly seed: number
  readonly count?: number | undefined
  readonly latency?: Duration.DurationInput | undefined
  readonly crawlDelaySeconds?: number | undefined
}

const withCrawlDelay = (robots: string | undefined, seconds: number | undefined): string | undefined => {
  if (seconds === undefined) return robots
  if (robots === undefined) return `User-agent: *\nCrawl-delay: ${seconds}\n`
  return robots.replace(/^(User-agent: \*)$/m, `$1\nCrawl-delay: ${seconds}`)
}

const companySite = (c: Company, crawlDelaySeconds: number | undefined): Site => ({
  host: c.host,
  kind: "company",
  note: `${c.name} (${c.language}, ${c.encoding}, ${c.addressMarkup}, ${c.emailStyle})`,
  route: (path, port) => {
    const origin = `http://${c.host}:${port}`
    if (path === "/robots.txt") {
      const robots = withCrawlDelay(c.robots, crawlDelaySeconds)
      return robots === undefined
        ? { kind: "page", status: 404, body: "not found", contentType: "text/plain" }
        : { kind: "page", body: robots.replaceAll("{origin}", origin), contentType: "text/plain" }
    }
    if (path === "/assets/brochure.pdf") {
      return { kind: "page", body: Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d]), contentType: "application/pdf" }
    }
    const html = render(c, path)
    if (html === undefined) return undefined
    return {
      kind: "page",
      body: html.replaceAll("{origin}", origin),
      encoding: c.encoding,
      contentType: path.endsWith(".xml") ? "application/xml" : "text/html; charset=utf-8"
    }
  }
})

const notFound: Reply = { kind: "page", status: 404, body: "<!DOCTYPE html><title>Not found</title><h1>Not found</h1>" }

/**
 * Starts the fixture web; closing the scope stops it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Partial<Options>): Effect.Effect<FixtureWeb, never, Scope.Scope> =>
  Effect.gen(function*() {
    const seed = options?.seed ?? 42
    const list = companies(seed, options?.count)
    const sites = [...list.map((c) => companySite(c, options?.crawlDelaySeconds)), ...hostileSites()]
    const byHost = new Map(sites.map((s) => [s.host, s]))
    const latency = options?.latency === undefined ? undefined : Duration.decode(options.latency)
    // appended in place: copying the whole log per request is quadratic in big runs
    const entries: Array<Entry> = []
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runSync(runtime)
    const fork = Runtime.runFork(runtime)
    const sjis = makeShiftJisEncoder()
    let port = 0

    const encodeText = (body: string | Uint8Array, charset: string | undefined): Uint8Array =>
      typeof body !== "string"
        ? body
        : charset === "latin1"
        ? Buffer.from(body, "latin1")
        : charset === "shift_jis"
        ? sjis(body)
        : Buffer.from(body, "utf8")

    const send = (req: IncomingMessage, res: ServerResponse, reply: Reply) => {
      switch (reply.kind) {
        case "redirect":
          res.writeHead(reply.status ?? 301, { location: reply.location, "content-type": "text/html" })
          return res.end(`<a href="${reply.location}">moved</a>`)
        case "endless": {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
          const chunk = Buffer.from(`<p>${"Endless catalogue of products and services. ".repeat(40)}</p>\n`)
          res.write("<!DOCTYPE html><html><head><title>Products</title></head><body><h1>Products</h1>")
          let open = true
          res.on("close", () => (open = false))
          const pump = () => {
            while (open && res.write(chunk)) { /* write until the socket pushes back */ }
            if (open) res.once("drain", pump)
          }
          return pump()
        }
        case "drip": {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
          const fiber = fork(Effect.forever(Effect.zipRight(Effect.sync(() => res.write(".")), Effect.sleep(reply.everyMillis))))
          res.on("close", () => fork(Fiber.interrupt(fiber)))
          return res.write("<!DOCTYPE html><html><head><title>Drip</title></head><body><p>")
        }
        case "page": {
          const raw = encodeText(reply.body, reply.charset)
          const accepts = String(req.headers["accept-encoding"] ?? "")
          const encoding = reply.encoding !== undefined && reply.encoding !== "identity" && accepts.includes(reply.encoding)
            ? reply.encoding
            : "identity"
          const body = encoding === "gzip" ? Zlib.gzipSync(raw) : encoding === "br" ? Zlib.brotliCompressSync(raw) : raw
          const headers: Record<string, string> = { "content-length": String(body.length) }
          const contentType = reply.contentType ?? "text/html; charset=utf-8"
          if (contentType !== "") headers["content-type"] = contentType
          if (encoding !== "identity") headers["content-encoding"] = encoding
          res.writeHead(reply.status ?? 200, headers)
          return res.end(body)
        }
      }
    }

    const handle = (req: IncomingMessage, res: ServerResponse) => {
      const host = String(req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase()
      const path = (req.url ?? "/").split("#")[0]!.split("?")[0]!
      const reply = byHost.get(host)?.route(path, port) ?? notFound
      const status = reply.kind === "redirect" ? reply.status ?? 301 : reply.kind === "page" ? reply.status ?? 200 : 200
      const time = run(Clock.currentTimeMillis)
      const entry: { -readonly [K in keyof Entry]: Entry[K] } = {
        time,
        host,
        path: req.url ?? "/",
        status,
        userAgent: String(req.headers["user-agent"] ?? ""),
        localAddress: req.socket.localAddress ?? ""
      }
      entries.push(entry)
      res.once("close", () => {
        entry.answered = run(Clock.currentTimeMillis)
      })
      if (latency === undefined || Duration.isZero(latency)) return send(req, res, reply)
      fork(Effect.zipRight(Effect.sleep(latency), Effect.sync(() => send(req, res, reply))))
    }

    const listen = (server: Server, host: string, at: number) =>
      Effect.async<number, Error>((resume) => {
        server.once("error", (e) => resume(Effect.fail(e)))
        server.listen(at, host, () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      })
    const close = (server: Server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })

    const main = createServer(handle)
    port = yield* Effect.acquireRelease(Effect.orDie(listen(main, "127.0.0.1", 0)), () => close(main))
    const decoy = createServer(handle)
    // The decoy is best effort: without it, refused addresses are simply unreachable.
    yield* Effect.acquireRelease(Effect.either(listen(decoy, "127.0.0.2", port)), () => close(decoy))

    return {
      port,
      companies: list,
      sites,
      url: (host) => `http://${host}:${port}/`,
      log: Effect.sync(() => entries.slice()),
      clearLog: Effect.sync(() => void entries.splice(0)),
      resolver: Resolver.layerStatic({ "*.test": "127.0.0.1", "intranet.test": "127.0.0.2", "www.offsite.test": "127.0.0.2" })
    }
  })
