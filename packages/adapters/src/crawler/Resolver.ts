/**
 * Host name resolution for the crawler. Every address the crawler connects
 * to comes from here and is checked before the connection is made, so a
 * host name cannot smuggle the crawler onto a private network. The live
 * layer asks the system resolver (`dns.lookup`); tests map host names such
 * as `*.test` to a local fixture server with {@link layerStatic}.
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Context, Effect, Either, Layer, Schema } from "effect"
import { lookup } from "node:dns"
import { isIP } from "node:net"

/**
 * The host name could not be resolved.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResolveError extends Schema.TaggedError<ResolveError>()("ResolveError", {
  reason: Schema.Literal("NotFound", "Failed"),
  host: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  /** A lookup that failed for another reason than "no such host" may pass. */
  get retryable(): boolean {
    return this.reason === "Failed"
  }

  override get message(): string {
    return `cannot resolve ${this.host}: ${this.reason}`
  }
}

/**
 * The resolver service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** All addresses of a host name (IPv4 and IPv6), in the resolver's order. */
  readonly resolve: (host: string) => Effect.Effect<ReadonlyArray<string>, ResolveError>
}

/**
 * The resolver service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Resolver extends Context.Tag("@leadgraph/adapters/Resolver")<Resolver, Service>() {}

/** `dns.lookup` with `all: true`, interruptible. */
const system: Service = {
  resolve: (host) =>
    Effect.async<ReadonlyArray<string>, ResolveError>((resume) => {
      lookup(host, { all: true, verbatim: true }, (error, addresses) => {
        if (error !== null) {
          const notFound = error.code === "ENOTFOUND" || error.code === "ENODATA"
          resume(Effect.fail(new ResolveError({ reason: notFound ? "NotFound" : "Failed", host, cause: error })))
        } else {
          resume(Effect.succeed(addresses.map((a) => a.address)))
        }
      })
    }).pipe(Effect.withSpan("Resolver.resolve", { attributes: { host } }))
}

/**
 * The system resolver (`dns.lookup` with `all: true`), interruptible.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Resolver> = Layer.succeed(Resolver, system)

/** Where a table sends a host: its exact entry, else its most specific `*.suffix` entry. */
const lookupIn = (table: Readonly<Record<string, string | ReadonlyArray<string>>>) => {
  const wildcards = Object.keys(table).filter((key) => key.startsWith("*.")).sort((a, b) => b.length - a.length)
  return (host: string): ReadonlyArray<string> | undefined => {
    const name = host.toLowerCase().replace(/\.$/, "")
    const found = table[name] ?? table[wildcards.find((key) => name.endsWith(key.slice(1))) ?? ""]
    return found === undefined ? undefined : typeof found === "string" ? [found] : found
  }
}

/**
 * A resolver from a table: each key is a host name or a `*.suffix` pattern
 * (the most specific entry wins), each value the address(es) it resolves
 * to. Unknown names fail with `NotFound`, or, with `fallback`, go to it.
 * Used by tests and the demo to point `*.test` hosts at the fixture web
 * server; see {@link layerHosts} for the environment's table.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStatic = (
  table: Readonly<Record<string, string | ReadonlyArray<string>>>,
  fallback?: Service
): Layer.Layer<Resolver> => {
  const find = lookupIn(table)
  return Layer.succeed(Resolver, {
    resolve: (host) => {
      const found = find(host)
      return found !== undefined
        ? Effect.succeed(found)
        : fallback === undefined
        ? Effect.fail(new ResolveError({ reason: "NotFound", host }))
        : fallback.resolve(host)
    }
  })
}

const hostEntry = /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/

/**
 * Host names pinned to addresses, from `CRAWLER_HOSTS`: comma-separated
 * `name=address` entries, a name being a host or a `*.suffix` pattern
 * (`*.test=127.0.0.1,intranet.example=10.0.0.5`); repeat a name for more
 * addresses. Empty when unset. The addresses must still pass the
 * crawler's address policy (`CRAWLER_ALLOW_ADDRESSES` for private ones).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Readonly<Record<string, ReadonlyArray<string>>>> = Config.array(
  Config.string(),
  "CRAWLER_HOSTS"
).pipe(
  Config.mapOrFail((entries) => {
    const table: Record<string, Array<string>> = {}
    for (const raw of entries) {
      const entry = raw.trim()
      if (entry === "") continue
      const at = entry.indexOf("=")
      const name = entry.slice(0, Math.max(at, 0)).trim().toLowerCase()
      const address = entry.slice(at + 1).trim()
      if (at < 1 || !hostEntry.test(name) || isIP(address) === 0) {
        return Either.left(ConfigError.InvalidData(
          ["CRAWLER_HOSTS"],
          `CRAWLER_HOSTS entry "${entry.slice(0, 100)}" is not name=address (a host or *.suffix, an IP address)`
        ))
      }
      ;(table[name] ??= []).push(address)
    }
    return Either.right(table)
  }),
  Config.withDescription("Host names pinned to IP addresses for the crawler: *.test=127.0.0.1,host.example=10.0.0.5"),
  Config.withDefault({})
)

/**
 * The system resolver, with the names of {@link config} (`CRAWLER_HOSTS`)
 * pinned first when it is set.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHosts = (table: Readonly<Record<string, ReadonlyArray<string>>>): Layer.Layer<Resolver> =>
  Object.keys(table).length === 0 ? layer : layerStatic(table, system)
