/**
 * A free TCP port on 127.0.0.1, for a child process that must be told its
 * port before it listens (a `leadgraph worker`'s runner address). Node
 * built-ins only: the cluster bench and the cluster's acceptance tests
 * both import it.
 */
import { createServer } from "node:net"

/** A port on 127.0.0.1 that was free a moment ago (the OS's pick for port 0). */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })
