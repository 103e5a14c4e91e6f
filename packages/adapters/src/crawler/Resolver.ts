/**
 * Host name resolution for the crawler. Every address the crawler connects
 * to comes from here and is checked before the connection is made, so a
 * host name cannot smuggle the crawler onto a private network. The live
 * layer asks the system resolver (`dns.lookup`); tests map host names such
 * as `*.test` to a local fixture server with {@link layerStatic}.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import { lookup } from "node:dns"

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

/**
 * The system resolver (`dns.lookup` with `all: true`), interruptible.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Resolver> = Layer.succeed(Resolver, {
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
})

/**
 * A resolver from a table: each key is a host name or a `*.suffix` pattern
 * (the most specific entry wins), each value the address(es) it resolves
 * to. Unknown names fail with `NotFound`. Used by tests and the demo to point
 * `*.test` hosts at the fixture web server.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStatic = (table: Readonly<Record<string, string | ReadonlyArray<string>>>): Layer.Layer<Resolver> =>
  Layer.succeed(Resolver, {
    resolve: (host) => {
      const name = host.toLowerCase().replace(/\.$/, "")
      const exact = table[name]
      const wildcard = Object.keys(table)
        .filter((key) => key.startsWith("*.") && name.endsWith(key.slice(1)))
        .sort((a, b) => b.length - a.length)[0]
      const found = exact ?? (wildcard === undefined ? undefined : table[wildcard])
      return found === undefined
        ? Effect.fail(new ResolveError({ reason: "NotFound", host }))
        : Effect.succeed(typeof found === "string" ? [found] : found)
    }
  })
