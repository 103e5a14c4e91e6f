/**
 * The crawler's transport against a local server on 127.0.0.1 that counts
 * sockets and requests: connection reuse, decoding, the maxBytes cut,
 * interruption and the SSRF guard in undici's connect hook.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Ref, Schedule } from "effect"
import type { Scope } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as TLS from "node:tls"
import * as Zlib from "node:zlib"
import * as Politeness from "../../src/crawler/Politeness.js"
import * as Resolver from "../../src/crawler/Resolver.js"
import { makePolicy } from "../../src/crawler/internal/address.js"
import { makeClient, makeTally } from "../../src/crawler/internal/client.js"
import { fetchOnce, makeAgent, type Request } from "../../src/crawler/internal/fetch.js"

type Route = (req: IncomingMessage, res: ServerResponse) => void

interface Server {
  readonly port: number
  readonly url: (host: string, path: string) => URL
  /** Sockets accepted, sockets closed, requests received. */
  readonly counts: Effect.Effect<{ readonly sockets: number; readonly closed: number; readonly requests: number }>
  /** Completes when a socket closes. */
  readonly socketClosed: Deferred.Deferred<void>
}

/** A server on 127.0.0.1 answering by path (404 otherwise), closed with the scope. */
const serve = (routes: Readonly<Record<string, Route>>): Effect.Effect<Server, never, Scope.Scope> =>
  Effect.gen(function*() {
    const socketClosed = yield* Deferred.make<void>()
    const counts = { sockets: 0, closed: 0, requests: 0 }
    const server = createServer((req, res) => {
      counts.requests++
      const route = routes[(req.url ?? "/").split("?")[0]!]
      if (route !== undefined) return route(req, res)
      res.writeHead(404, { "content-type": "text/plain", "content-length": "9" })
      res.end("not found")
    })
    server.on("connection", (socket) => {
      counts.sockets++
      socket.on("close", () => {
        counts.closed++
        Deferred.unsafeDone(socketClosed, Exit.void)
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return {
      port,
      url: (host, path) => new URL(`http://${host}:${port}${path}`),
      counts: Effect.sync(() => ({ ...counts })),
      socketClosed
    }
  })

/**
 * Waits until the server has seen every socket it accepted close. An aborted
 * response costs one spare connection in undici 7 (it re-queues the aborted
 * request, connects again, then drops it: nodejs/undici#5845), so the tests
 * of aborts count requests and closed sockets, not sockets.
 */
const allClosed = (server: Server) =>
  server.counts.pipe(
    Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (c) => c.sockets > 0 && c.closed === c.sockets }),
    Effect.timeout("2 seconds"),
    Effect.zipRight(server.counts)
  )

const text = "<!DOCTYPE html><title>Hello</title><p>" + "Lead graphs enrich leads. ".repeat(400) + "</p>"

const page = (body: Uint8Array | string, headers: Record<string, string> = {}): Route => (_req, res) => {
  const bytes = typeof body === "string" ? Buffer.from(body) : body
  res.writeHead(200, { "content-type": "text/html", "content-length": String(bytes.length), ...headers })
  res.end(bytes)
}

/** Writes until the client goes away. */
const endless: Route = (_req, res) => {
  res.writeHead(200, { "content-type": "text/html" })
  const chunk = Buffer.from("<p>more</p>".repeat(1000))
  let open = true
  res.on("close", () => (open = false))
  const pump = () => {
    while (open && res.write(chunk)) { /* until the socket pushes back */ }
    if (open) res.once("drain", pump)
  }
  pump()
}

/** Sends headers and one chunk, then nothing. */
const hang: Route = (_req, res) => {
  res.writeHead(200, { "content-type": "text/html" })
  res.write("<p>")
}

const resolverOf = (table: Readonly<Record<string, string | ReadonlyArray<string>>>) =>
  Effect.provide(Resolver.Resolver, Resolver.layerStatic(table))

/** The crawler's agent over a static resolver, allowing `allow`. */
const agentFor = (allow: ReadonlyArray<string>, resolver?: Resolver.Service) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const service = resolver ?? (yield* resolverOf({ "*.test": "127.0.0.1" }))
    return yield* makeAgent({ resolver: service, policy: makePolicy(allow), runtime, connections: 1 })
  })

const get = (url: URL, options?: Partial<Request>): Request => ({
  url,
  headers: { "accept-encoding": "gzip, deflate, br", "user-agent": "LeadGraphBot/test" },
  maxBytes: 1024 * 1024,
  readBody: () => true,
  ...options
})

describe("fetchOnce over the crawler's undici agent", () => {
  it.scopedLive("reuses one connection for several requests to one origin", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/": page(text), "/about": page(text), "/gone": page("", {}) })
      const agent = yield* agentFor(["127.0.0.1/32"])
      for (const path of ["/", "/about", "/", "/about", "/missing", "/"]) {
        const res = yield* fetchOnce(agent, get(server.url("reuse.test", path)))
        expect(res.status).toBe(path === "/missing" ? 404 : 200)
      }
      expect(yield* server.counts).toEqual({ sockets: 1, closed: 0, requests: 6 })
    }))

  it.scopedLive("each origin gets its own connections, resolved and checked once per connection", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/": page(text) })
      const lookups = yield* Ref.make<ReadonlyArray<string>>([])
      const stat = yield* resolverOf({ "*.test": "127.0.0.1" })
      const resolver: Resolver.Service = {
        resolve: (host) => Effect.zipRight(Ref.update(lookups, (l) => [...l, host]), stat.resolve(host))
      }
      const agent = yield* agentFor(["127.0.0.1/32"], resolver)
      for (const host of ["a.test", "b.test", "a.test", "b.test", "a.test", "b.test"]) {
        yield* fetchOnce(agent, get(server.url(host, "/")))
      }
      expect(yield* server.counts).toMatchObject({ sockets: 2, requests: 6 })
      expect(yield* Ref.get(lookups)).toEqual(["a.test", "b.test"])
    }))

  it.scopedLive("the client sends robots.txt and every page of a host over one connection", () =>
    Effect.gen(function*() {
      const server = yield* serve({
        "/robots.txt": page("User-agent: *\nAllow: /\n", { "content-type": "text/plain" }),
        "/": page(text),
        "/about": page(text),
        "/team": page(text),
        "/moved": (_req, res) => {
          res.writeHead(301, { location: "/contact", "content-length": "0" })
          res.end()
        },
        "/contact": page(text)
      })
      const client = yield* makeClient({
        userAgent: "LeadGraphBot/test",
        allowAddresses: ["127.0.0.1/32"],
        requestTimeout: "2 seconds",
        maxRedirects: 3,
        robotsMaxBytes: 64 * 1024,
        maxCrawlDelay: "1 second",
        perHost: 1
      }, yield* resolverOf({ "*.test": "127.0.0.1" }), yield* Politeness.make({ minDelay: 0 }))
      const tally = yield* makeTally
      for (const path of ["/", "/about", "/team", "/moved"]) {
        const res = yield* client.get(server.url("site.test", path), { maxBytes: 1 << 20, readBody: () => true, robots: true }, tally)
        expect(res.status).toBe(200)
      }
      // robots.txt, three pages, a redirect and its target: six requests, one socket.
      expect(yield* server.counts).toEqual({ sockets: 1, closed: 0, requests: 6 })
      expect(yield* Ref.get(tally.requests)).toBe(6)
    }))

  it.scopedLive("decodes gzip, x-gzip, deflate and br, and counts the bytes on the wire", () =>
    Effect.gen(function*() {
      const raw = Buffer.from(text)
      const encoded: Record<string, Buffer> = {
        gzip: Zlib.gzipSync(raw),
        "x-gzip": Zlib.gzipSync(raw),
        deflate: Zlib.deflateSync(raw),
        br: Zlib.brotliCompressSync(raw),
        identity: raw
      }
      const routes = Object.fromEntries(
        Object.entries(encoded).map(([name, body]) => [`/${name}`, page(body, { "content-encoding": name })])
      )
      const server = yield* serve(routes)
      const agent = yield* agentFor(["127.0.0.1/32"])
      for (const [name, body] of Object.entries(encoded)) {
        const res = yield* fetchOnce(agent, get(server.url("zip.test", `/${name}`)))
        expect(Buffer.from(res.body).toString(), name).toBe(text)
        expect(res.wireBytes, name).toBe(body.length)
        expect(res).toMatchObject({ truncated: false, bodySkipped: false })
        if (name !== "identity") expect(res.wireBytes, name).toBeLessThan(res.body.length / 10)
      }
    }))

  it.scopedLive("an unknown content-encoding or a corrupt body is an Encoding failure", () =>
    Effect.gen(function*() {
      const server = yield* serve({
        "/zstd": page("whatever", { "content-encoding": "compress" }),
        "/bad": page("this is not gzip at all", { "content-encoding": "gzip" })
      })
      const agent = yield* agentFor(["127.0.0.1/32"])
      for (const path of ["/zstd", "/bad"]) {
        const error = yield* Effect.flip(fetchOnce(agent, get(server.url("zip.test", path))))
        expect(error.reason, path).toBe("Encoding")
      }
    }))

  it.scopedLive("the body is cut at maxBytes decoded bytes and the request aborted there", () =>
    Effect.gen(function*() {
      const bomb = Zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61))
      const server = yield* serve({ "/endless": endless, "/bomb": page(bomb, { "content-encoding": "gzip" }) })
      const agent = yield* agentFor(["127.0.0.1/32"])
      const res = yield* fetchOnce(agent, get(server.url("big.test", "/endless"), { maxBytes: 100_000 }))
      expect(res).toMatchObject({ status: 200, truncated: true })
      expect(res.body.length).toBe(100_000)
      expect((yield* allClosed(server)).requests).toBe(1)
      // 8 KiB on the wire that would inflate to 8 MiB: decoding stops at the limit.
      const unpacked = yield* fetchOnce(agent, get(server.url("big.test", "/bomb"), { maxBytes: 64 * 1024 }))
      expect(unpacked).toMatchObject({ truncated: true })
      expect(unpacked.body.length).toBe(64 * 1024)
      expect(unpacked.wireBytes).toBeLessThanOrEqual(bomb.length)
    }))

  it.scopedLive("readBody decides: a big body is not read, a small one is dropped and the connection kept", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/pdf": endless, "/small": page("tiny", { "content-type": "application/pdf" }) })
      const agent = yield* agentFor(["127.0.0.1/32"])
      const skip = get(server.url("skip.test", "/small"), { readBody: () => false })
      const small = yield* fetchOnce(agent, skip)
      expect(small).toMatchObject({ status: 200, bodySkipped: true, truncated: false, wireBytes: 4 })
      expect(small.body.length).toBe(0)
      yield* fetchOnce(agent, skip)
      expect(yield* server.counts).toMatchObject({ sockets: 1, closed: 0, requests: 2 })
      const big = yield* fetchOnce(agent, { ...skip, url: server.url("skip.test", "/pdf") })
      expect(big).toMatchObject({ status: 200, bodySkipped: true })
      yield* Deferred.await(server.socketClosed).pipe(Effect.timeout("2 seconds"))
      expect((yield* allClosed(server)).requests).toBe(3)
    }))

  it.scopedLive("redirects are returned, not followed; repeated headers read as node's http reads them", () =>
    Effect.gen(function*() {
      const server = yield* serve({
        "/old": (_req, res) => {
          res.setHeader("set-cookie", ["a=1", "b=2"])
          res.setHeader("x-list", ["one", "two"])
          res.writeHead(302, { location: "/new", "content-length": "0" })
          res.end()
        }
      })
      const agent = yield* agentFor(["127.0.0.1/32"])
      const res = yield* fetchOnce(agent, get(server.url("moved.test", "/old")))
      expect(res.status).toBe(302)
      expect(res.headers.location).toBe("/new")
      expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"])
      expect(res.headers["x-list"]).toBe("one, two")
      expect((yield* server.counts).requests).toBe(1)
    }))

  it.scopedLive("an interrupted request is aborted: the server sees its socket close", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/hang": hang, "/silent": () => {} })
      const agent = yield* agentFor(["127.0.0.1/32"])
      for (const path of ["/hang", "/silent"]) {
        const outcome = yield* Effect.timeout(fetchOnce(agent, get(server.url("slow.test", path))), "200 millis").pipe(
          Effect.either
        )
        expect(outcome._tag, path).toBe("Left")
      }
      // Both requests reached the server, and every socket it saw was closed.
      expect((yield* allClosed(server)).requests).toBe(2)
    }))

  it.scopedLive("closing the client's scope closes its pooled connections", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/": page(text) })
      yield* Effect.scoped(Effect.gen(function*() {
        const agent = yield* agentFor(["127.0.0.1/32"])
        yield* fetchOnce(agent, get(server.url("pool.test", "/")))
        expect(yield* server.counts).toMatchObject({ sockets: 1, closed: 0 })
      }))
      yield* Deferred.await(server.socketClosed).pipe(Effect.timeout("2 seconds"))
    }))
})

describe("the connect hook refuses addresses on its own (no SSRF)", () => {
  it.scopedLive("a host on a private address, an IP literal and a host with one private address among public ones", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/": page(text) })
      const resolver = yield* resolverOf({ "*.test": "127.0.0.1", "mixed.test": ["93.184.216.34", "127.0.0.1"] })
      // No allow-list: loopback is refused, and fetchOnce has no pre-check.
      const agent = yield* agentFor([], resolver)
      for (const url of [server.url("private.test", "/"), server.url("127.0.0.1", "/"), server.url("mixed.test", "/")]) {
        const error = yield* Effect.flip(fetchOnce(agent, get(url)))
        expect(error.reason, url.href).toBe("Address")
        expect(String(error.cause), url.href).toContain("refused address 127.0.0.1")
      }
      const unknown = yield* Effect.flip(fetchOnce(agent, get(new URL(`http://nowhere.invalid:${server.port}/`))))
      expect(unknown.reason).toBe("Transport")
      expect(yield* server.counts).toEqual({ sockets: 0, closed: 0, requests: 0 })
    }))

  it.scopedLive("https: the socket goes to the checked address, and TLS still names the host (SNI)", () =>
    Effect.gen(function*() {
      const names: Array<string> = []
      // No certificate: the handshake fails once the server has read the name.
      const server = TLS.createServer({ SNICallback: (name, done) => (names.push(name), done(new Error("no certificate"))) })
      const port = yield* Effect.acquireRelease(
        Effect.async<number>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
        }),
        () => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const agent = yield* agentFor(["127.0.0.1/32"])
      const error = yield* Effect.flip(fetchOnce(agent, get(new URL(`https://secure.test:${port}/`))))
      expect(error.reason).toBe("Transport")
      expect(names).toEqual(["secure.test"])
    }))

  it.scopedLive("a host that rebinds to a private address after the client's pre-check is refused as \"address\"", () =>
    Effect.gen(function*() {
      const server = yield* serve({ "/": page(text) })
      const calls = yield* Ref.make(0)
      // First answer public (the client's pre-check), then loopback (the hook).
      const rebinding: Resolver.Service = {
        resolve: () => Effect.map(Ref.getAndUpdate(calls, (n) => n + 1), (n) => n === 0 ? ["93.184.216.34"] : ["127.0.0.1"])
      }
      const client = yield* makeClient({
        userAgent: "LeadGraphBot/test",
        allowAddresses: [],
        requestTimeout: "2 seconds",
        maxRedirects: 3,
        robotsMaxBytes: 64 * 1024,
        maxCrawlDelay: "1 second"
      }, rebinding, yield* Politeness.make({ minDelay: 0 }))
      const failure = yield* Effect.flip(
        client.get(server.url("rebind.test", "/"), { maxBytes: 1 << 20, readBody: () => true, robots: false }, yield* makeTally)
      )
      expect(failure.reason).toBe("address")
      expect(yield* Ref.get(calls)).toBe(2)
      expect(yield* server.counts).toEqual({ sockets: 0, closed: 0, requests: 0 })
    }))
})
