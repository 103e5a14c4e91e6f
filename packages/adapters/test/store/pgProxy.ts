/**
 * A TCP proxy on 127.0.0.1 in front of Postgres, for tests that need the
 * database to go away and come back without restarting the machine's
 * Postgres (other tests share it): `outage(ms)` destroys every connection
 * through the proxy and refuses new ones (they are reset at once) for `ms`
 * milliseconds, which is what clients see while Postgres restarts; then it
 * accepts again. `down()` and `up()` do the same for as long as a test
 * wants. Used by the run-lock tests here and the cluster's fault tests.
 */
import { createConnection, createServer, type Socket } from "node:net"

/** A running proxy. */
export interface PgProxy {
  readonly port: number
  /** `url` with its host and port replaced by the proxy's. */
  readonly via: (url: string) => string
  /** Drops every connection and refuses new ones for `ms` milliseconds. */
  readonly outage: (ms: number) => Promise<void>
  /** Drops every connection and refuses new ones until {@link PgProxy.up}. */
  readonly down: () => void
  /** Accepts connections again. */
  readonly up: () => void
  /** Connections accepted so far, and refused during outages. */
  readonly counts: () => { readonly accepted: number; readonly refused: number; readonly dropped: number }
  readonly close: () => Promise<void>
}

/** Starts a proxy to `target` (a Postgres URL: its host and port). */
export const startPgProxy = (target: string): Promise<PgProxy> => {
  const { hostname, port } = new URL(target)
  const sockets = new Set<Socket>()
  let down = false
  let accepted = 0
  let refused = 0
  let dropped = 0
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  }
  const down_ = () => {
    down = true
    dropped += sockets.size
    for (const socket of sockets) socket.resetAndDestroy()
  }
  const server = createServer((client) => {
    if (down) {
      refused++
      client.resetAndDestroy()
      return
    }
    accepted++
    const upstream = createConnection({ host: hostname, port: Number(port || 5432) })
    track(client)
    track(upstream)
    client.on("error", () => upstream.destroy())
    upstream.on("error", () => client.destroy())
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      if (typeof address !== "object" || address === null) return reject(new Error("the proxy has no port"))
      resolve({
        port: address.port,
        via: (url) => {
          const u = new URL(url)
          u.hostname = "127.0.0.1"
          u.port = String(address.port)
          return u.toString()
        },
        outage: async (ms) => {
          down_()
          await new Promise((r) => setTimeout(r, ms))
          down = false
        },
        down: down_,
        up: () => {
          down = false
        },
        counts: () => ({ accepted, refused, dropped }),
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
}
