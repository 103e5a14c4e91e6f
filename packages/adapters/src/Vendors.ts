/**
 * The paid vendors as one set of live adapters — Tavily, Lusha, ZeroBounce
 * and OpenAI — and each tenant's Odoo connection, built per tenant run.
 * {@link connector} builds what belongs to an API key once per process (the
 * HTTP clients, their rate limits, retries and key latches: the limits are
 * per key) and, each time a run connects, the services over that run's own
 * `Budget`, `VerificationCache` and `PaidResults`. With `SharedRateLimits`
 * in the context of these layers, the per-key limits are shared by every
 * process that uses the same store instead (see `SharedRateLimits`).
 *
 * A vendor that refuses its key (`Unauthorized`) or says its credits are
 * spent is not called again for the rest of that run: the adapter's client
 * remembers it per run id (one request to find out, one log line naming the
 * key's variable, e.g. `LUSHA_API_KEY`). The memory lives in the adapters,
 * built once per process, but is keyed by run, so a long-lived `serve` or
 * `schedule` process tries once more at its next run, after the operator
 * fixed the key or topped the credits up.
 *
 * @since 0.1.0
 */
import { Llm, Lusha, OdooConnector, Tavily, VendorConnector, ZeroBounce } from "@leadgraph/core"
import * as LlmLive from "./llm/LlmLive.js"
import * as LushaLive from "./lusha/LushaLive.js"
import * as OdooLive from "./odoo/OdooLive.js"
import * as SharedRateLimits from "./SharedRateLimits.js"
import * as TavilyLive from "./tavily/TavilyLive.js"
import * as ZeroBounceLive from "./zerobounce/ZeroBounceLive.js"
import type { Budget, Odoo, PaidResults, Tenant, VerificationCache } from "@leadgraph/core"
import type { HttpClient } from "@effect/platform"
import { Config, ConfigError, Effect, Either, Layer, Option } from "effect"

/**
 * The options of the four vendor adapters.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tavily: TavilyLive.Options
  readonly lusha: LushaLive.Options
  readonly zeroBounce: ZeroBounceLive.Options
  readonly openAi: LlmLive.Options
}

const perMinute = (name: string, description: string) =>
  Config.option(
    Config.integer(name).pipe(
      Config.validate({ message: "must be a whole number of at least 1", validation: (n) => n >= 1 }),
      Config.withDescription(description)
    )
  ).pipe(Config.map(Option.map(SharedRateLimits.perMinute)))

const withLimit = <A extends object>(options: A, key: string, limit: Option.Option<unknown>): A =>
  Option.isSome(limit) ? { ...options, [key]: limit.value } : options

/**
 * The vendors' keys from the environment: `TAVILY_API_KEY`,
 * `LUSHA_API_KEY`, `ZEROBOUNCE_API_KEY`, `OPENAI_API_KEY` (all redacted),
 * `OPENAI_BASE_URL` (optional), and the client-side rate limits of your
 * plans, each optional (the adapters' defaults are the smallest plans'):
 * `TAVILY_REQUESTS_PER_MINUTE`, `LUSHA_REQUESTS_PER_MINUTE`,
 * `ZEROBOUNCE_VALIDATIONS_PER_MINUTE`, `OPENAI_REQUESTS_PER_MINUTE`. Each is
 * a `spaced` limit (`SharedRateLimits.Limit`): no burst, one call every
 * `(60 s + 0.5 s) / N`, so no minute at the vendor holds more than N.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  tavily: TavilyLive.config,
  tavilyLimit: perMinute("TAVILY_REQUESTS_PER_MINUTE", "Tavily requests per minute your plan allows"),
  lusha: LushaLive.config,
  lushaLimit: perMinute("LUSHA_REQUESTS_PER_MINUTE", "Lusha requests per minute your plan allows"),
  zeroBounce: ZeroBounceLive.config,
  zeroBounceLimit: perMinute("ZEROBOUNCE_VALIDATIONS_PER_MINUTE", "ZeroBounce single validations per minute"),
  openAi: Config.map(LlmLive.config, ({ apiKey, baseURL }) => ({ apiKey, baseURL: Option.getOrUndefined(baseURL) })),
  openAiLimit: perMinute("OPENAI_REQUESTS_PER_MINUTE", "OpenAI requests per minute your tier allows")
}).pipe(Config.map((c): Options => ({
  tavily: withLimit(c.tavily, "rateLimit", c.tavilyLimit),
  lusha: withLimit(c.lusha, "rateLimit", c.lushaLimit),
  zeroBounce: withLimit(c.zeroBounce, "rateLimit", c.zeroBounceLimit),
  openAi: withLimit(c.openAi, "rateLimit", c.openAiLimit)
})))

/**
 * Odoo client options from the environment: `ODOO_CALLS_PER_SECOND`
 * (optional; the adapter's default is 10).
 *
 * @since 0.1.0
 * @category config
 */
export const odooConfig: Config.Config<OdooOverrides> = Config.option(
  Config.integer("ODOO_CALLS_PER_SECOND").pipe(
    Config.validate({ message: "must be a whole number of at least 1", validation: (n) => n >= 1 }),
    Config.withDescription("JSON-RPC calls per second sent to each tenant's Odoo")
  )
).pipe(Config.map(Option.match({
  onNone: (): OdooOverrides => ({}),
  onSome: (limit): OdooOverrides => ({ rateLimit: { limit, interval: "1 second" } })
})))

/**
 * The four live adapters. Lusha and OpenAI keep each answer they paid for
 * in the `PaidResults` in context, ZeroBounce each verdict in the
 * `VerificationCache`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  Tavily.Tavily | Lusha.Lusha | ZeroBounce.ZeroBounce | Llm.Llm,
  never,
  HttpClient.HttpClient | Budget.Budget | VerificationCache.VerificationCache | PaidResults.PaidResults
> =>
  Layer.mergeAll(
    TavilyLive.layer(options.tavily),
    LushaLive.layer(options.lusha),
    ZeroBounceLive.layer(options.zeroBounce),
    LlmLive.layer(options.openAi)
  )

/**
 * The live vendor connector: the four adapters' shared parts (HTTP clients,
 * rate limits, retries, key latches, the OpenAI client) are built once, in
 * this layer's scope, and shared by every run; each build of its `connect`
 * layer (once per run) builds the four services over the run's `Budget`,
 * `VerificationCache` and `PaidResults`. So a run draws only on its own
 * budget and keeps what it paid for only in its own stores, while all runs
 * wait on the same per-key rate limits.
 *
 * @since 0.1.0
 * @category layers
 */
export const connector = (
  options: Options
): Layer.Layer<VendorConnector.VendorConnector, never, HttpClient.HttpClient> =>
  Layer.scoped(
    VendorConnector.VendorConnector,
    Effect.gen(function*() {
      const tavily = yield* TavilyLive.factory(options.tavily)
      const lusha = yield* LushaLive.factory(options.lusha)
      const zeroBounce = yield* ZeroBounceLive.factory(options.zeroBounce)
      const llm = yield* LlmLive.factory(options.openAi)
      return {
        // Fresh: two runs never share one build, even when their layers are
        // built in one memo map; each gets services over its own context.
        connect: Layer.fresh(Layer.mergeAll(
          Layer.effect(Tavily.Tavily, tavily),
          Layer.effect(Lusha.Lusha, lusha),
          Layer.effect(ZeroBounce.ZeroBounce, zeroBounce),
          Layer.effect(Llm.Llm, llm)
        ))
      } satisfies VendorConnector.Service
    })
  )

/**
 * The variables that hold the vendors' keys.
 *
 * @since 0.1.0
 * @category config
 */
export const keyVariables: ReadonlyArray<string> = [
  TavilyLive.defaults.keyVariable,
  LushaLive.defaults.keyVariable,
  ZeroBounceLive.defaults.keyVariable,
  LlmLive.defaults.keyVariable
]

/**
 * A connector for a process without vendor keys, where only dry runs go
 * (they plan and forecast, and connect no vendor): connecting dies with a
 * message naming the variables to set.
 *
 * @since 0.1.0
 * @category layers
 */
export const unconfigured: Layer.Layer<VendorConnector.VendorConnector> = VendorConnector.fromLayer(
  Layer.die(new Error(`no vendor keys: set ${keyVariables.join(", ")} (a dry run needs none)`))
)

/**
 * The environment variable a connection's `secretRef` names: `env:NAME` or
 * just `NAME`.
 *
 * @since 0.1.0
 * @category secrets
 */
export const secretVariable = (secretRef: string): Either.Either<string, ConfigError.ConfigError> => {
  const name = secretRef.startsWith("env:") ? secretRef.slice(4) : secretRef
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    ? Either.right(name)
    : Either.left(ConfigError.InvalidData([], `Odoo secret reference "${secretRef}" is not env:NAME`))
}

/**
 * Odoo client options a deployment may change (the connection itself comes
 * from the tenant's row).
 *
 * @since 0.1.0
 * @category models
 */
export type OdooOverrides = Partial<Pick<OdooLive.Options, "rateLimit" | "timeout" | "retry">>

/**
 * A tenant's Odoo, its password read (redacted) from the variable its
 * connection's `secretRef` names.
 *
 * @since 0.1.0
 * @category layers
 */
export const odoo = (
  connection: Tenant.OdooConnection,
  overrides?: OdooOverrides
): Layer.Layer<Odoo.Odoo, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const name = yield* secretVariable(connection.secretRef)
      const password = yield* Config.redacted(name).pipe(
        Config.withDescription(`Odoo password of ${connection.url} (database ${connection.database})`)
      )
      return OdooLive.layer({
        ...overrides,
        url: connection.url,
        database: connection.database,
        login: connection.login,
        password
      })
    })
  )

/**
 * The live connector: JSON-RPC to each tenant's Odoo with {@link odoo}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOdoo = (overrides?: OdooOverrides): Layer.Layer<OdooConnector.OdooConnector, never, HttpClient.HttpClient> =>
  Layer.effect(
    OdooConnector.OdooConnector,
    Effect.map(Effect.context<HttpClient.HttpClient>(), (context) => ({
      connect: (_tenantId, connection) => odoo(connection, overrides).pipe(Layer.provide(Layer.succeedContext(context)))
    }))
  )
