/**
 * The Odoo adapter: core's {@link Odoo.Odoo} port over Odoo's external
 * JSON-RPC API (`POST {url}/jsonrpc`, Odoo ≤ 18 and 19+ until its removal).
 * It logs in once with `common.login` (the uid is kept), then runs ORM
 * methods with `object.execute_kw`. Odoo reports errors inside HTTP 200
 * answers; they become {@link Odoo.OdooError}s with the shared vendor
 * reasons, as do HTTP statuses from a proxy in front of Odoo.
 *
 * Records are found by the keys they are created with (see {@link Odoo}):
 * the company partner by `ref = leadgraph:<domain>`, whatever host its
 * website is on; contacts by email under it; the lead by its partner. Each
 * upsert (search, then create or write) and each export is retried as a
 * whole under core's retry policy, so a create whose answer was lost is
 * found by the next attempt, not made twice; each HTTP call has its own
 * timeout and goes through the client-side rate limit. An export batches
 * its calls: a first export of a company with contacts and a lead is 4
 * `execute_kw` calls, an unchanged one 2 (reads only); adopting a partner
 * made before the ref costs one `write` more, once.
 *
 * ```ts
 * const odoo = OdooLive.layer({
 *   url: "https://acme.odoo.com", database: "acme", login: "bot@acme.example",
 *   password: Redacted.make(apiKey)
 * }).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Odoo, Retry } from "@leadgraph/core"
import type { Config, ConfigError, Duration, Scope } from "effect"
import { Effect, Layer, Option, Redacted, Ref, SynchronizedRef } from "effect"
import * as VendorClient from "../internal/http/VendorClient.js"
import * as SharedRateLimits from "../SharedRateLimits.js"
import * as Protocol from "./internal/protocol.js"
import * as Upsert from "./internal/upsert.js"

/**
 * How to reach one Odoo database.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Base URL of the Odoo server, without `/jsonrpc` (e.g. `https://acme.odoo.com`). */
  readonly url: string
  /** The database name. */
  readonly database: string
  /** The user's login. */
  readonly login: string
  /** The user's password or API key (Odoo 14+). */
  readonly password: Redacted.Redacted<string>
  /** Timeout of one HTTP call (default {@link defaults}.timeout). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Core's retry policy, partially overridden; applied to each whole upsert. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** At most `limit` calls per `interval` (default {@link defaults}.rateLimit). */
  readonly rateLimit?: SharedRateLimits.Limit | undefined
}

/**
 * Defaults: 30 s per call, at most 10 calls per second.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  timeout: "30 seconds",
  rateLimit: { limit: 10, interval: "1 second" }
} as const

/**
 * Builds the live service over the `HttpClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Odoo.Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* VendorClient.make({
      vendor: "Odoo",
      secrets: [options.password],
      makeError: (failure) => new Odoo.OdooError(failure),
      timeout: options.timeout ?? defaults.timeout,
      // Calls are not retried one by one: the upsert around them is.
      retry: { retries: 0 },
      // Odoo bills nothing and its upserts are idempotent: a malformed answer is worth another try.
      billing: "free",
      // a password Odoo never echoes: scrubbed whole, not word by word
      scrubRuns: false,
      rateLimit: options.rateLimit ?? defaults.rateLimit,
      // one Odoo, whichever password reaches it
      limitKey: SharedRateLimits.keyOf("Odoo", [options.url.replace(/\/+$/, ""), options.database, options.login])
    })
    const endpoint = `${options.url.replace(/\/+$/, "")}/jsonrpc`
    const nextId = yield* Ref.make(1)
    const uid = yield* SynchronizedRef.make(Option.none<number>())

    const call = (service: string, method: string, args: ReadonlyArray<unknown>) =>
      Effect.gen(function*() {
        const id = yield* Ref.getAndUpdate(nextId, (n) => n + 1)
        const request = HttpClientRequest.post(endpoint).pipe(
          HttpClientRequest.bodyUnsafeJson({ jsonrpc: "2.0", method: "call", params: { service, method, args }, id })
        )
        const answer = yield* client.send(request, Protocol.RpcResponse)
        if ("error" in answer) {
          return yield* client.fail({
            reason: Protocol.reasonOfRpcError(answer.error),
            detail: Protocol.detailOfRpcError(answer.error)
          })
        }
        return answer.result
      }).pipe(client.policy)

    const login = SynchronizedRef.modifyEffect(uid, (current) =>
      Option.match(current, {
        onSome: (id) => Effect.succeed([id, current] as const),
        onNone: () =>
          call("common", "login", [options.database, options.login, Redacted.value(options.password)]).pipe(
            Effect.flatMap((result) =>
              result === false || typeof result !== "number"
                ? client.fail({
                  reason: result === false ? "Unauthorized" : "BadResponse",
                  detail: result === false
                    ? `login "${options.login}" on database "${options.database}" was refused`
                    : "common.login did not answer a uid"
                })
                : Effect.succeed([result, Option.some(result)] as const)
            )
          )
      }))

    const execute: Upsert.Execute = (model, method, args, kwargs) =>
      Effect.flatMap(login, (id) =>
        call("object", "execute_kw", [
          options.database,
          id,
          Redacted.value(options.password),
          model,
          method,
          args,
          kwargs ?? {}
        ]))

    const serverVersion = Effect.zipRight(login, call("common", "version", [])).pipe(
      Effect.flatMap((answer) =>
        answer !== null && typeof answer === "object" && "server_version" in answer &&
          typeof answer.server_version === "string"
          ? Effect.succeed(answer.server_version)
          : client.fail({ reason: "BadResponse", detail: "common.version did not answer a server_version" })
      ),
      Effect.withSpan("Odoo.serverVersion")
    )

    return { ...Upsert.makeService(execute, (self) => Retry.retry(self, options.retry)), serverVersion }
  })

/**
 * The live Odoo service, over the `HttpClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Odoo.Odoo, never, HttpClient.HttpClient> =>
  Layer.scoped(Odoo.Odoo, make(options))

/**
 * The live Odoo service with its options read from `Config` (for example
 * `Config.all({ url: Config.string("ODOO_URL"), ..., password: Config.redacted("ODOO_PASSWORD") })`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Options>
): Layer.Layer<Odoo.Odoo, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.scoped(Odoo.Odoo, Effect.flatMap(config, make))
