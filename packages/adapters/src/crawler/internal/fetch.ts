/**
 * The crawler's HTTP transport, over undici. {@link makeAgent} builds one
 * keep-alive `Agent` (a pool of connections per origin) whose connect hook
 * is the SSRF guard: every connection it opens resolves the host through
 * the `Resolver`, checks every address against the address policy and
 * connects to a checked address, or fails the requests waiting for it. A
 * pooled connection serves only its own origin and was checked when opened.
 *
 * {@link fetchOnce} sends one GET over it, never following redirects. The
 * body is decoded (gzip, deflate, brotli with node:zlib) and cut at
 * `maxBytes` decoded bytes: the request is aborted there, nothing past the
 * limit is read. Interruption (a time-out) aborts the request.
 *
 * @internal
 */
import { Cause, Data, Effect, Exit, Runtime } from "effect"
import type { Scope } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import type { Transform } from "node:stream"
import * as Zlib from "node:zlib"
import { Agent, buildConnector, type Dispatcher } from "undici"
import type * as Resolver from "../Resolver.js"
import { type Category, ipLiteral } from "./address.js"

/** @internal */
export class FetchError extends Data.TaggedError("FetchError")<{
  /** `Address`: the connect hook refused the host's address (or it had none). */
  readonly reason: "Transport" | "Encoding" | "Address"
  readonly url: string
  readonly cause?: unknown
}> {}

/** @internal */
export interface Response {
  readonly url: string
  readonly status: number
  /** Lower-case names, one string per name (`set-cookie` excepted), as node's `http` gives them. */
  readonly headers: IncomingHttpHeaders
  /** Decoded body, at most `maxBytes` long. Empty for redirects and refused types. */
  readonly body: Uint8Array
  /** Body bytes received on the wire (before decompression). */
  readonly wireBytes: number
  /** The body was cut at `maxBytes`. */
  readonly truncated: boolean
  /** The body was not read because `readBody` said no. */
  readonly bodySkipped: boolean
}

/** @internal */
export interface Request {
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly maxBytes: number
  /** Decides from status and headers whether the body is worth reading. */
  readonly readBody: (status: number, headers: IncomingHttpHeaders) => boolean
}

/** @internal */
export interface AgentOptions {
  readonly resolver: Resolver.Service
  readonly policy: (ip: string) => Category | "allowed"
  /** Runs the resolver from undici's callbacks: the runtime of the client that owns the agent. */
  readonly runtime: Runtime.Runtime<never>
  /**
   * Connections per origin (default: no limit). With one, a request queues
   * for the connection the previous one frees instead of opening another.
   */
  readonly connections?: number | undefined
}

// A skipped body this small (or known to be empty) is read and dropped so
// its connection can serve the next request; a larger one is aborted.
const drainLimit = 16 * 1024

/**
 * undici's connect hook: resolve (unless the host is an IP literal), refuse
 * the host when any address is not allowed (DNS may hand out any of them),
 * then connect to the first address. TLS still verifies the host name.
 *
 * @internal
 */
export const guardedConnector = (options: AgentOptions, isOpen: () => boolean): buildConnector.connector => {
  const connect = buildConnector({})
  const run = Runtime.runCallback(options.runtime)
  return (opts, callback) => {
    const origin = `${opts.protocol}//${opts.host ?? opts.hostname}`
    const literal = ipLiteral(opts.hostname)
    const lookup = literal !== undefined ? Effect.succeed([literal]) : options.resolver.resolve(opts.hostname)
    run(lookup, {
      onExit: (exit) => {
        if (!isOpen()) return callback(new FetchError({ reason: "Transport", url: origin, cause: "agent closed" }), null)
        if (Exit.isFailure(exit)) {
          return callback(new FetchError({ reason: "Transport", url: origin, cause: Cause.squash(exit.cause) }), null)
        }
        const addresses = exit.value
        const refused = addresses.find((a) => options.policy(a) !== "allowed")
        const address = addresses[0]
        if (refused !== undefined || address === undefined) {
          const cause = `refused address ${refused ?? "(none)"}`
          return callback(new FetchError({ reason: "Address", url: origin, cause }), null)
        }
        connect(
          // SNI and certificate checks keep the host name; the socket goes to the checked address.
          literal === undefined
            ? { ...opts, hostname: address, servername: opts.servername ?? opts.hostname }
            : { ...opts, hostname: address },
          callback
        )
      }
    })
  }
}

/**
 * One keep-alive agent for a crawler client, destroyed (in-flight requests
 * aborted) when the scope closes.
 *
 * @internal
 */
export const makeAgent = (options: AgentOptions): Effect.Effect<Agent, never, Scope.Scope> =>
  Effect.suspend(() => {
    let open = true
    return Effect.acquireRelease(
      Effect.sync(() => {
        const connect = guardedConnector(options, () => open)
        return new Agent(options.connections === undefined ? { connect } : { connect, connections: options.connections })
      }),
      (agent) =>
        Effect.suspend(() => {
          open = false
          return Effect.promise(() => agent.destroy())
        })
    )
  })

// node:zlib rather than undici's `interceptors.decompress`: that one is
// experimental in undici 7 (it warns on first use), hides the bytes on the
// wire, fails instead of cutting at a size, and reports a corrupt body like
// a broken connection.
const decoderFor = (encoding: string): Transform | "identity" | undefined => {
  switch (encoding.trim().toLowerCase()) {
    case "":
    case "identity":
      return "identity"
    case "gzip":
    case "x-gzip":
      return Zlib.createGunzip({ finishFlush: Zlib.constants.Z_SYNC_FLUSH })
    case "deflate":
      return Zlib.createInflate({ finishFlush: Zlib.constants.Z_SYNC_FLUSH })
    case "br":
      return Zlib.createBrotliDecompress({ finishFlush: Zlib.constants.BROTLI_OPERATION_FLUSH })
    default:
      return undefined
  }
}

// node's `http` keeps the first of these when a response repeats them.
const singular = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host", "if-modified-since",
  "if-unmodified-since", "last-modified", "location", "max-forwards", "proxy-authorization", "referer", "retry-after",
  "server", "user-agent"
])

/** undici's parsed headers in node's `IncomingHttpHeaders` form: repeats joined, kept first, or listed. */
const nodeHeaders = (parsed: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): IncomingHttpHeaders => {
  const out: IncomingHttpHeaders = {}
  for (const name of Object.keys(parsed)) {
    const value = parsed[name]
    if (value === undefined || name === "__proto__") continue
    if (typeof value === "string") out[name] = name === "set-cookie" ? [value] : value
    else if (name === "set-cookie") out[name] = [...value]
    else if (singular.has(name)) out[name] = value[0] ?? ""
    else out[name] = value.join(name === "cookie" ? "; " : ", ")
  }
  return out
}

const contentLength = (headers: IncomingHttpHeaders): number | undefined => {
  const text = headers["content-length"]
  if (text === undefined || text.length > 15) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/**
 * Sends one GET through `dispatcher` and reads at most `maxBytes` of decoded body.
 *
 * @internal
 */
export const fetchOnce = (dispatcher: Dispatcher, req: Request): Effect.Effect<Response, FetchError> =>
  Effect.async<Response, FetchError>((resume) => {
    const href = req.url.href
    let done = false
    let controller: Dispatcher.DispatchController | undefined
    // Asked before undici handed over the controller: applied when it does.
    let pendingAbort: Error | undefined
    let decoder: Transform | undefined
    let status = 0
    let headers: IncomingHttpHeaders = {}
    let wireBytes = 0
    let draining = false
    const chunks: Array<Buffer> = []
    let size = 0

    const abort = (reason: Error) => {
      decoder?.destroy()
      if (controller === undefined) pendingAbort = reason
      else if (!controller.aborted) controller.abort(reason)
    }
    const settle = (effect: Effect.Effect<Response, FetchError>) => {
      if (done) return
      done = true
      resume(effect)
    }
    const fail = (reason: FetchError["reason"], cause: unknown) => {
      const error = new FetchError({ reason, url: href, cause })
      settle(Effect.fail(error))
      abort(error)
    }
    const succeed = (body: Uint8Array, truncated: boolean, bodySkipped: boolean) =>
      settle(Effect.succeed({ url: href, status, headers, body, wireBytes, truncated, bodySkipped }))
    const complete = (truncated: boolean) => {
      const body = new Uint8Array(size)
      let offset = 0
      for (const c of chunks) {
        body.set(c, offset)
        offset += c.length
      }
      succeed(body, truncated, false)
    }
    const take = (chunk: Buffer) => {
      if (done) return
      const room = req.maxBytes - size
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room))
        size += room
        complete(true)
        abort(new FetchError({ reason: "Transport", url: href, cause: "maxBytes reached" }))
        return
      }
      chunks.push(chunk)
      size += chunk.length
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c
        if (pendingAbort !== undefined) c.abort(pendingAbort)
      },
      onResponseStart: (c, statusCode, parsed) => {
        // 1xx (100 Continue, 103 Early Hints) come before the real response.
        if (statusCode < 200) return
        status = statusCode
        headers = nodeHeaders(parsed)
        if (!req.readBody(status, headers)) {
          const length = contentLength(headers)
          if (status === 204 || status === 304 || (length !== undefined && length <= drainLimit)) {
            draining = true
            return
          }
          succeed(new Uint8Array(0), false, true)
          return abort(new FetchError({ reason: "Transport", url: href, cause: "body skipped" }))
        }
        const encoding = String(headers["content-encoding"] ?? "")
        const chosen = decoderFor(encoding)
        if (chosen === undefined) return fail("Encoding", `content-encoding ${encoding}`)
        if (chosen === "identity") return
        decoder = chosen
        chosen.on("data", take)
        chosen.on("end", () => complete(false))
        chosen.on("error", (cause) => fail("Encoding", cause))
        chosen.on("drain", () => c.resume())
      },
      onResponseData: (c, chunk) => {
        wireBytes += chunk.length
        if (done || draining) return
        if (decoder === undefined) return take(chunk)
        // Backpressure: undici stops reading the socket until zlib catches up.
        if (!decoder.write(chunk)) c.pause()
      },
      onResponseEnd: () => {
        if (draining) succeed(new Uint8Array(0), false, true)
        else if (decoder !== undefined) decoder.end()
        else complete(false)
      },
      onResponseError: (_c, error) => {
        decoder?.destroy()
        // A body only being dropped: the status and headers are all the caller wanted.
        if (draining) return succeed(new Uint8Array(0), false, true)
        // The connect hook's refusals and resolver failures come back as they were made.
        if (error instanceof FetchError) settle(Effect.fail(new FetchError({ reason: error.reason, url: href, cause: error.cause })))
        else settle(Effect.fail(new FetchError({ reason: "Transport", url: href, cause: error })))
      }
    }
    try {
      dispatcher.dispatch({
        origin: req.url.origin,
        path: req.url.pathname + req.url.search,
        method: "GET",
        headers: req.headers
      }, handler)
    } catch (cause) {
      fail("Transport", cause)
    }
    return Effect.sync(() => {
      done = true
      abort(new FetchError({ reason: "Transport", url: href, cause: "interrupted" }))
    })
  })
