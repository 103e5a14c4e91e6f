/**
 * The handlers of `@leadgraph/adapters`' `HttpApiDefinition.Api` and the
 * server of `leadgraph serve`: Node's HTTP server on 127.0.0.1 (by default),
 * the OpenAPI document at `/openapi.json` and Swagger UI at `/docs`.
 *
 * Authentication: a tenant's token (see `ApiTokens`) decides the tenant of
 * `/export/*`, and the handlers reach the store only through that tenant's
 * repositories (`HttpApiDefinition.CurrentTenant`), every call a
 * transaction bound to the tenant; `/admin/*` takes the admin token,
 * compared in constant time (`ApiTokens.matches`), and answers a tenant's
 * token with 403. Request bodies are read (at most `maxBodyBytes`) and
 * checked to be JSON before any handler runs; anything else is a 400,
 * except the company file of `POST /admin/tenants/{id}/companies` (CSV or
 * JSON Lines, at most `AdminTenantsApi.maxCompaniesBytes`). The tenant
 * set-up endpoints are in `AdminTenantsHandlers`. Exports stream one chunk per database fetch, so memory does
 * not grow with the number of rows. `POST /admin/runs` takes each tenant's
 * run lock before it answers (409, or `alreadyRunning` with `all`, when a
 * run of the tenant goes anywhere on the database); with `all` it starts
 * the tenants `SCHED_TENANT_INCLUDE` and `SCHED_TENANT_EXCLUDE` let through
 * (core's `Kickoffs.startAll`) and lists the others in `skipped`, with the
 * reason. `GET /admin/runs/{id}` answers from the runs this server started,
 * else from the run recorded in the store (`Kickoffs.recorded`: a run of the
 * nightly job, of another server, or one from before a restart). The Odoo
 * sync is core's `OdooSync.syncTenant`; readiness is `Migrations.status`.
 *
 * @since 0.1.0
 */
import { HttpApiBuilder, HttpApiSwagger, HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { AdminTenantsApi, ApiTokens, HttpApiDefinition, Migrations, Vendors } from "@leadgraph/adapters"
import { Kickoffs, LeadExport, OdooConnector, OdooSync, Store, type Tenant } from "@leadgraph/core"
import { Chunk, Effect, Either, Layer, Option, type Redacted, Stream } from "effect"
import type { ConfigError } from "effect"
import { createServer } from "node:http"
import * as Settings from "../Settings.js"
import * as VendorKeys from "../VendorKeys.js"
import * as AccessLog from "./AccessLog.js"
import * as AdminTenantsHandlers from "./AdminTenantsHandlers.js"
import * as DecodeErrors from "./DecodeErrors.js"
import * as RunsRoutes from "./RunsRoutes.js"

/**
 * Server options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Port (default 8080; 0 picks a free one). */
  readonly port?: number | undefined
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string | undefined
  /** `LEADGRAPH_ADMIN_TOKEN`; without it every `/admin` request is a 401. */
  readonly adminToken: Option.Option<Redacted.Redacted<string>>
  /** `SCORE_MIN_EXPORT`: the threshold when a request gives none. */
  readonly scoreMinExport: number
  /** Largest request body accepted (default 64 KiB). */
  readonly maxBodyBytes?: number | undefined
  /**
   * `SCHED_TENANT_INCLUDE` and `SCHED_TENANT_EXCLUDE`: the tenants a kickoff
   * with `all` starts (the nightly job's filter). When not given, the server
   * reads them from the settings ({@link Settings.config}) as it starts.
   */
  readonly tenantFilter?: Tenant.TenantFilter | undefined
  /**
   * The vendor key variables that are not set, asked at each kickoff: while
   * any is missing, `POST /admin/runs` answers 503 naming them and starts
   * nothing. When not given, the server reads them from the environment
   * ({@link VendorKeys.missing}).
   */
  readonly missingVendorKeys?: Effect.Effect<ReadonlyArray<string>> | undefined
}

/**
 * The defaults of {@link Options}.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = { port: 8080, host: "127.0.0.1", maxBodyBytes: 64 * 1024 } as const

/**
 * What the handlers need.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements =
  | Store.Store
  | ApiTokens.ApiTokens
  | SqlClient.SqlClient
  | Kickoffs.Kickoffs
  | OdooConnector.OdooConnector

const fromStore = (e: Store.StoreError) =>
  e.retryable
    ? new HttpApiDefinition.Unavailable({ message: "the database is unavailable, try again" })
    : new HttpApiDefinition.ServerError({ message: `store ${e.operation} failed` })

const unauthorized = new HttpApiDefinition.Unauthorized({ message: "missing or unknown bearer token" })

/**
 * The tenant token middleware.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTenantAuth: Layer.Layer<
  HttpApiDefinition.TenantAuth,
  never,
  ApiTokens.ApiTokens | Store.Store
> = Layer.effect(
  HttpApiDefinition.TenantAuth,
  Effect.gen(function*() {
    const tokens = yield* ApiTokens.ApiTokens
    const store = yield* Store.Store
    return {
      tenantToken: (token) =>
        tokens.resolve(token).pipe(
          Effect.mapError(fromStore),
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(unauthorized),
            onSome: (tenantId) => Effect.as(AccessLog.noteTenant(tenantId), { tenantId, store: store.forTenant(tenantId) })
          })),
          Effect.catchTag("ServerError", () =>
            Effect.fail(new HttpApiDefinition.Unavailable({ message: "cannot check the token now" })))
        )
    }
  })
)

/**
 * The admin token middleware.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAdminAuth = (
  adminToken: Option.Option<Redacted.Redacted<string>>
): Layer.Layer<HttpApiDefinition.AdminAuth, never, ApiTokens.ApiTokens> =>
  Layer.effect(
    HttpApiDefinition.AdminAuth,
    Effect.gen(function*() {
      const tokens = yield* ApiTokens.ApiTokens
      return {
        adminToken: (
          token
        ): Effect.Effect<
          void,
          HttpApiDefinition.Unauthorized | HttpApiDefinition.Forbidden | HttpApiDefinition.Unavailable
        > => {
          if (Option.isSome(adminToken) && ApiTokens.matches(adminToken.value, token)) return Effect.void
          // a tenant's token is known but not allowed here
          return tokens.resolve(token).pipe(
            Effect.mapError(() => new HttpApiDefinition.Unavailable({ message: "cannot check the token now" })),
            Effect.flatMap((tenant): Effect.Effect<never, HttpApiDefinition.Unauthorized | HttpApiDefinition.Forbidden> =>
              Option.isSome(tenant)
                ? Effect.fail(new HttpApiDefinition.Forbidden({ message: "a tenant token cannot use /admin" }))
                : Effect.fail(unauthorized)
            )
          )
        }
      }
    })
  )

/** One write per chunk of rows (a database fetch), not one per row. */
const body = (text: Stream.Stream<string, Store.StoreError>) =>
  text.pipe(Stream.mapChunks((chunk) => Chunk.of(Chunk.join(chunk, ""))), Stream.encodeText)

const exportsGroup = (options: Options) =>
  HttpApiBuilder.group(HttpApiDefinition.Api, "exports", (handlers) =>
    Effect.gen(function*() {
      const connector = yield* OdooConnector.OdooConnector
      return handlers
        .handle("json", ({ urlParams }) =>
          Effect.map(HttpApiDefinition.CurrentTenant, ({ store }) =>
            HttpServerResponse.stream(body(LeadExport.json(store.exportScores(urlParams.min_score ?? options.scoreMinExport))), {
              contentType: "application/json"
            })))
        .handle("csv", ({ urlParams }) =>
          Effect.map(HttpApiDefinition.CurrentTenant, ({ store, tenantId }) =>
            HttpServerResponse.stream(body(LeadExport.csv(store.exportScores(urlParams.min_score ?? options.scoreMinExport))), {
              contentType: "text/csv; charset=utf-8",
              headers: { "content-disposition": `attachment; filename="${tenantId}-latest_scores.csv"` }
            })))
        .handle("odooSync", ({ urlParams }) =>
          Effect.flatMap(HttpApiDefinition.CurrentTenant, ({ store }) =>
            OdooSync.syncTenant(store, urlParams.min_score ?? options.scoreMinExport).pipe(
              Effect.provideService(OdooConnector.OdooConnector, connector),
              Effect.catchTags({
                NoConnection: (e) => Effect.fail(new HttpApiDefinition.Conflict({ message: e.message })),
                ConfigError: () =>
                  Effect.fail(new HttpApiDefinition.ServerError({ message: "the tenant's Odoo secret is not configured" })),
                StoreError: (e) => Effect.fail(fromStore(e))
              })
            )))
    }))

/** The tenant filter of the options, else the one of the settings. */
const tenantFilterOf = (options: Options): Effect.Effect<Tenant.TenantFilter, ConfigError.ConfigError> =>
  options.tenantFilter !== undefined
    ? Effect.succeed(options.tenantFilter)
    : Effect.map(Settings.config, Settings.tenantFilter)

const adminGroup = (options: Options) =>
  HttpApiBuilder.group(HttpApiDefinition.Api, "admin", (handlers) =>
    Effect.gen(function*() {
      const store = yield* Store.Store
      const kickoffs = yield* Kickoffs.Kickoffs
      const filter = yield* tenantFilterOf(options)
      const missingKeys = options.missingVendorKeys ?? VendorKeys.missing.pipe(
        // a source that cannot be read: as if no key were set
        Effect.orElseSucceed(() => Vendors.keyVariables)
      )
      return handlers
        .handle("kickoff", ({ payload }) =>
          Effect.gen(function*() {
            const missing = yield* missingKeys
            if (missing.length > 0) {
              return yield* new HttpApiDefinition.NotConfigured({
                message: `the server has no vendor keys: set ${missing.join(", ")} in its environment and restart it`,
                missing
              })
            }
            const flags = { limit: payload.limit, rerun: payload.rerun }
            if ("tenant" in payload) {
              const tenant = yield* store.forTenant(payload.tenant).tenants.get.pipe(Effect.mapError(fromStore))
              if (Option.isNone(tenant)) {
                return yield* new HttpApiDefinition.NotFound({ message: `no tenant "${payload.tenant}"` })
              }
              const id = yield* kickoffs.start(payload.tenant, flags).pipe(
                Effect.catchTags({
                  AlreadyRunning: (e) =>
                    Effect.fail(
                      new HttpApiDefinition.Conflict({
                        message: e.runId === undefined
                          ? `a run of "${payload.tenant}" is already going in another process`
                          : `a run of "${payload.tenant}" is already going`,
                        ...(e.runId === undefined ? {} : { runId: e.runId })
                      })
                    ),
                  StoreError: (e) => Effect.fail(fromStore(e))
                })
              )
              return { runs: [{ id, tenantId: payload.tenant }], alreadyRunning: [], skipped: [] }
            }
            const all = yield* kickoffs.startAll({ ...flags, filter }).pipe(Effect.mapError(fromStore))
            return {
              runs: all.runs,
              alreadyRunning: all.alreadyRunning.map(({ id, tenantId }) => ({ id: id ?? null, tenantId })),
              skipped: all.skipped.map(({ reason, tenantId }) => ({ tenantId, reason: HttpApiDefinition.skipReasons[reason] }))
            }
          }))
        .handle("run", ({ path }) =>
          Effect.flatMap(
            kickoffs.get(path.id),
            Option.match({
              onNone: () =>
                Kickoffs.recorded(store, path.id).pipe(
                  Effect.mapError(fromStore),
                  Effect.flatMap(Option.match({
                    onNone: () => Effect.fail(new HttpApiDefinition.NotFound({ message: `no run "${path.id}"` })),
                    onSome: Effect.succeed
                  }))
                ),
              onSome: Effect.succeed
            })
          ))
        .handle("runs", ({ urlParams }) => RunsRoutes.list(store, urlParams))
        .handle("runReport", ({ path }) => RunsRoutes.report(store, path.id))
    }))

const healthGroup = HttpApiBuilder.group(HttpApiDefinition.Api, "health", (handlers) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return handlers
      .handle("health", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () =>
        Migrations.status().pipe(
          Effect.provideService(SqlClient.SqlClient, sql),
          Effect.mapError(() => new HttpApiDefinition.Unavailable({ message: "the database is not reachable" })),
          Effect.flatMap(({ applied, newest }) =>
            applied >= newest
              ? Effect.succeed({ status: "ready" as const, migrations: applied })
              : Effect.fail(new HttpApiDefinition.Unavailable({ message: `migrations applied: ${applied} of ${newest}` }))
          ),
          Effect.timeoutFail({
            duration: "5 seconds",
            onTimeout: () => new HttpApiDefinition.Unavailable({ message: "the database did not answer in time" })
          })
        ))
  }))

const companiesPath = /^\/admin\/tenants\/[^/]+\/companies\/?$/

const badRequest = (message: string) =>
  HttpServerResponse.unsafeJson({ _tag: "BadRequest", message }, { status: 400 })

/**
 * Reads a request body before routing: at most `maxBytes`, and JSON when
 * there is one. The handlers then decode the body already read.
 *
 * @since 0.1.0
 * @category middleware
 */
export const bodyGuard = (maxBytes: number) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return yield* app
    // a company file (CSV or JSON Lines) goes to its handler unread, under a larger limit
    if (request.method === "POST" && companiesPath.test(request.url.split("?")[0] ?? "")) {
      const limit = AdminTenantsApi.maxCompaniesBytes
      if (Number(request.headers["content-length"] ?? "0") > limit) return badRequest(`the body is larger than ${limit} bytes`)
      if (Option.isNone(AdminTenantsHandlers.importFormatOf(request.headers["content-type"]))) {
        return badRequest("the body must be text/csv or application/x-ndjson")
      }
      return yield* app.pipe(HttpIncomingMessage.withMaxBodySize(Option.some(limit)))
    }
    const length = Number(request.headers["content-length"] ?? "0")
    if (!Number.isFinite(length) || length > maxBytes) return badRequest(`the body is larger than ${maxBytes} bytes`)
    const text = yield* request.text.pipe(HttpIncomingMessage.withMaxBodySize(Option.some(maxBytes)), Effect.option)
    if (Option.isNone(text)) return badRequest(`the body could not be read or is larger than ${maxBytes} bytes`)
    if (text.value !== "") {
      const type = request.headers["content-type"] ?? ""
      if (!type.toLowerCase().includes("application/json")) return badRequest("the body must be application/json")
      if (Either.isLeft(Either.try(() => JSON.parse(text.value)))) return badRequest("the body is not valid JSON")
    }
    return yield* app
  })

/**
 * The API's handlers and middlewares.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerApi = (options: Options) =>
  HttpApiBuilder.api(HttpApiDefinition.Api).pipe(
    Layer.provide(Layer.mergeAll(exportsGroup(options), adminGroup(options), AdminTenantsHandlers.layer, healthGroup)),
    Layer.provide(Layer.mergeAll(layerTenantAuth, layerAdminAuth(options.adminToken)))
  )

/**
 * The whole server over the services it needs, listening while the layer
 * lives: the API, `/openapi.json` and `/docs`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options) =>
  // built with a memo map of its own: the API builder's router layer is a
  // shared constant, and two servers built with one memo map (tests that
  // start one per database) would register their routes on one router
  Layer.scopedContext(Effect.gen(function*() {
    const memoMap = yield* Layer.makeMemoMap
    return yield* Layer.buildWithMemoMap(serverLayer(options), memoMap, yield* Effect.scope)
  }))

const serverLayer = (options: Options) =>
  HttpApiBuilder.serve((app) => AccessLog.middleware(bodyGuard(options.maxBodyBytes ?? defaults.maxBodyBytes)(app))).pipe(
    Layer.provide(DecodeErrors.layer),
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(layerApi(options)),
    Layer.provideMerge(
      NodeHttpServer.layer(createServer, { port: options.port ?? defaults.port, host: options.host ?? defaults.host })
    )
  )
