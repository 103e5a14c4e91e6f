/**
 * One HTTP GET over node's `http`/`https`, connected to an address chosen
 * (and checked) by the caller, never following redirects. The body is
 * streamed through gzip/deflate/brotli decoding and cut at `maxBytes`
 * decoded bytes: the connection is closed there, nothing past the limit is
 * read. Interruption (a time-out) destroys the request.
 *
 * @internal
 */
import { Data, Effect } from "effect"
import type { IncomingHttpHeaders, IncomingMessage } from "node:http"
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import type { Readable, Transform } from "node:stream"
import * as Zlib from "node:zlib"

/** @internal */
export class FetchError extends Data.TaggedError("FetchError")<{
  readonly reason: "Transport" | "Encoding"
  readonly url: string
  readonly cause?: unknown
}> {}

/** @internal */
export interface Response {
  readonly url: string
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Decoded body, at most `maxBytes` long. Empty for redirects and refused types. */
  readonly body: Uint8Array
  /** Bytes received on the wire (before decompression). */
  readonly wireBytes: number
  /** The body was cut at `maxBytes`. */
  readonly truncated: boolean
  /** The body was not read because `readBody` said no. */
  readonly bodySkipped: boolean
}

/** @internal */
export interface Request {
  readonly url: URL
  readonly address: string
  readonly family: 4 | 6
  readonly headers: Readonly<Record<string, string>>
  readonly maxBytes: number
  /** Decides from status and headers whether the body is worth reading. */
  readonly readBody: (status: number, headers: IncomingHttpHeaders) => boolean
}

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

/**
 * Sends one GET and reads at most `maxBytes` of decoded body.
 *
 * @internal
 */
export const fetchOnce = (req: Request): Effect.Effect<Response, FetchError> =>
  Effect.async<Response, FetchError>((resume) => {
    const href = req.url.href
    let done = false
    let response: IncomingMessage | undefined
    let decoder: Readable | undefined
    const finish = (effect: Effect.Effect<Response, FetchError>) => {
      if (done) return
      done = true
      resume(effect)
    }
    const send = req.url.protocol === "https:" ? httpsRequest : httpRequest
    const client = send({
      protocol: req.url.protocol,
      hostname: req.url.hostname.replace(/^\[|\]$/g, ""),
      port: req.url.port === "" ? undefined : Number(req.url.port),
      path: req.url.pathname + req.url.search,
      method: "GET",
      headers: req.headers,
      agent: false,
      // Connect to the address the caller checked, whatever DNS says now.
      lookup: (_host, options, callback) => {
        if ((options as { all?: boolean }).all === true) {
          ;(callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
            { address: req.address, family: req.family }
          ])
        } else {
          callback(null, req.address, req.family)
        }
      }
    })
    client.on("error", (cause) => finish(Effect.fail(new FetchError({ reason: "Transport", url: href, cause }))))
    client.on("response", (res) => {
      response = res
      const status = res.statusCode ?? 0
      let wireBytes = 0
      res.on("data", (chunk: Buffer) => {
        wireBytes += chunk.length
      })
      const base = { url: href, status, headers: res.headers }
      if (!req.readBody(status, res.headers)) {
        res.resume()
        client.destroy()
        return finish(Effect.succeed({ ...base, body: new Uint8Array(0), wireBytes, truncated: false, bodySkipped: true }))
      }
      const encoding = String(res.headers["content-encoding"] ?? "")
      const chosen = decoderFor(encoding)
      if (chosen === undefined) {
        client.destroy()
        return finish(Effect.fail(new FetchError({ reason: "Encoding", url: href, cause: `content-encoding ${encoding}` })))
      }
      const stream: Readable = chosen === "identity" ? res : res.pipe(chosen)
      if (chosen !== "identity") decoder = chosen
      const chunks: Array<Buffer> = []
      let size = 0
      const complete = (truncated: boolean) => {
        const body = new Uint8Array(size)
        let offset = 0
        for (const c of chunks) {
          body.set(c, offset)
          offset += c.length
        }
        finish(Effect.succeed({ ...base, body, wireBytes, truncated, bodySkipped: false }))
      }
      stream.on("data", (chunk: Buffer) => {
        if (done) return
        const room = req.maxBytes - size
        if (chunk.length >= room) {
          chunks.push(chunk.subarray(0, room))
          size += room
          // Settle first: destroying emits "aborted" synchronously.
          complete(true)
          client.destroy()
          res.destroy()
          decoder?.destroy()
          return
        }
        chunks.push(chunk)
        size += chunk.length
      })
      stream.on("end", () => complete(false))
      stream.on("error", (cause) => finish(Effect.fail(new FetchError({ reason: "Encoding", url: href, cause }))))
      res.on("error", (cause) => finish(Effect.fail(new FetchError({ reason: "Transport", url: href, cause }))))
      res.on("aborted", () => finish(Effect.fail(new FetchError({ reason: "Transport", url: href, cause: "aborted" }))))
    })
    client.end()
    return Effect.sync(() => {
      done = true
      client.destroy()
      response?.destroy()
      decoder?.destroy()
    })
  })
