/**
 * The HTTP API of `leadgraph serve`, declared with `@effect/platform`'s
 * `HttpApi`: four groups (exports, Odoo sync, admin runs, health), their
 * typed inputs and answers, the errors each can give with their status
 * codes, and the two security middlewares (a tenant's token, the admin
 * token). The declaration is the contract: it is the OpenAPI document the
 * server serves at `/openapi.json`, a service can serve it with handlers of
 * its own (the runner's are in its `HttpServer`), and a client can call it
 * with `HttpApiClient.make(Api)`.
 *
 * Inputs are strict: an unknown query field or body field is a 400, as is
 * a threshold outside 0 to 100.
 *
 * @since 0.1.0
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import type { Store } from "@leadgraph/core"
import { Kickoffs, LeadExport, OdooSync, RunHistory, Tenant } from "@leadgraph/core"
import { Context, Schema } from "effect"
import { AdminTenantsGroup } from "./AdminTenantsApi.js"

const strict = { parseOptions: { onExcessProperty: "error" } } as const

/**
 * No token, or one that is not known: 401.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/**
 * A valid token without the right to this endpoint (a tenant's token on
 * `/admin`): 403.
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 403 })
) {}

/**
 * Input the API refuses (beyond what the schemas already catch): 400.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/**
 * Something asked for does not exist: 404.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/**
 * The request conflicts with the current state (a tenant's run is already
 * going, or the tenant has no active Odoo connection): 409. `runId` is the
 * going run's when this server started it.
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { message: Schema.String, runId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 409 })
) {}

/**
 * The database (or a dependency such as the tenant's Odoo) cannot serve the
 * request now: 503. `message` is secret-free.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unavailable extends Schema.TaggedError<Unavailable>()(
  "Unavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

/**
 * The server lacks configuration a request needs (a kickoff without the
 * vendor keys): 503, naming the `missing` environment variables. Nothing
 * was started or recorded.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotConfigured extends Schema.TaggedError<NotConfigured>()(
  "NotConfigured",
  { message: Schema.String, missing: Schema.Array(Schema.String) },
  HttpApiSchema.annotations({ status: 503 })
) {}

/**
 * Any other failure: 500, with a secret-free message.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends Schema.TaggedError<ServerError>()(
  "ServerError",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 500 })
) {}

/**
 * The tenant a request speaks for, and its repositories: the only way a
 * tenant handler reaches the store. Every call runs in a transaction bound
 * to this tenant, so row-level security holds whatever the handler does.
 *
 * @since 0.1.0
 * @category tags
 */
export class CurrentTenant extends Context.Tag("@leadgraph/adapters/http/CurrentTenant")<CurrentTenant, {
  readonly tenantId: Tenant.TenantId
  readonly store: Store.TenantStore
}>() {}

/**
 * A tenant's API token (`Authorization: Bearer lg_...`) decides the tenant.
 *
 * @since 0.1.0
 * @category security
 */
export class TenantAuth extends HttpApiMiddleware.Tag<TenantAuth>()("@leadgraph/adapters/http/TenantAuth", {
  failure: Schema.Union(Unauthorized, Unavailable),
  provides: CurrentTenant,
  security: { tenantToken: HttpApiSecurity.bearer }
}) {}

/**
 * The admin token (`LEADGRAPH_ADMIN_TOKEN`) guards `/admin`.
 *
 * @since 0.1.0
 * @category security
 */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("@leadgraph/adapters/http/AdminAuth", {
  failure: Schema.Union(Unauthorized, Forbidden, Unavailable),
  security: { adminToken: HttpApiSecurity.bearer }
}) {}

/**
 * A score threshold from 0 to 100 in a query string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Threshold = Schema.NumberFromString.pipe(
  Schema.filter((n) => Number.isFinite(n) && n >= 0 && n <= 100),
  Schema.annotations({
    // one message whatever failed (not a number, or out of range), without schema internals
    message: () => ({ message: "min_score must be a number from 0 to 100", override: true }),
    jsonSchema: {
      type: "number",
      minimum: 0,
      maximum: 100,
      description: "the lowest score exported, from 0 to 100 (default: SCORE_MIN_EXPORT)"
    }
  })
)

/**
 * The query of the exports: `min_score` overrides `SCORE_MIN_EXPORT`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExportParams = Schema.Struct({ min_score: Schema.optional(Threshold) }).annotations(strict)

const Limit = Schema.Int.pipe(
  Schema.between(1, 100_000),
  Schema.annotations({
    message: () => ({ message: "limit must be an integer from 1 to 100000", override: true }),
    description: "at most this many companies per tenant, 1 to 100000"
  })
)

const Rerun = Schema.Boolean.annotations({
  message: () => ({ message: "rerun must be true or false", override: true }),
  description: "also take companies already enriched on the run day"
})

/**
 * The query of `GET /admin/runs`: one tenant's runs (default all), at most
 * `limit` (1 to 200, default 20), after `cursor` (a page's `next`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunsParams = Schema.Struct({
  tenant: Schema.optional(Tenant.TenantId.annotations({ description: "only this tenant's runs (default: every tenant's)" })),
  limit: Schema.optional(
    Schema.NumberFromString.pipe(
      Schema.filter((n) => Number.isInteger(n) && n >= 1 && n <= RunHistory.maxLimit, {
        message: () => `limit must be an integer from 1 to ${RunHistory.maxLimit}`
      }),
      Schema.annotations({
        jsonSchema: {
          type: "integer",
          minimum: 1,
          maximum: RunHistory.maxLimit,
          description: `runs per page, 1 to ${RunHistory.maxLimit} (default ${RunHistory.defaultLimit})`
        }
      })
    )
  ),
  cursor: Schema.optional(
    Schema.String.pipe(Schema.maxLength(1000)).annotations({ description: "the `next` of the previous page" })
  )
}).annotations(strict)

/**
 * What `POST /admin/runs` starts: one tenant, or every active tenant, with
 * the run flags of the CLI.
 *
 * @since 0.1.0
 * @category schemas
 */
export const KickoffRequest = Schema.Union(
  Schema.Struct({
    tenant: Tenant.TenantId.annotations({
      message: () => ({ message: "tenant must be a tenant id of 1 to 64 characters", override: true }),
      description: "the tenant to run"
    }),
    limit: Schema.optional(Limit),
    rerun: Schema.optional(Rerun)
  }).annotations(strict),
  Schema.Struct({
    all: Schema.Literal(true).annotations({
      message: () => ({ message: "all must be true", override: true }),
      description: "run every active tenant (filtered as the nightly job filters them)"
    }),
    limit: Schema.optional(Limit),
    rerun: Schema.optional(Rerun)
  }).annotations(strict)
)

/**
 * Why a kickoff with `all` left an active tenant out: the tenant filter of
 * the nightly job. `"excluded by SCHED_TENANT_EXCLUDE"` when its id is in
 * `SCHED_TENANT_EXCLUDE` (which wins over the include list);
 * `"not in SCHED_TENANT_INCLUDE"` when `SCHED_TENANT_INCLUDE` is set and
 * does not name it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SkipReason = Schema.Literal("excluded by SCHED_TENANT_EXCLUDE", "not in SCHED_TENANT_INCLUDE")

/**
 * @since 0.1.0
 * @category models
 */
export type SkipReason = typeof SkipReason.Type

/**
 * The {@link SkipReason} of each of core's `Tenant.FilterReason`s.
 *
 * @since 0.1.0
 * @category schemas
 */
export const skipReasons: Readonly<Record<Tenant.FilterReason, SkipReason>> = {
  excluded: "excluded by SCHED_TENANT_EXCLUDE",
  notIncluded: "not in SCHED_TENANT_INCLUDE"
}

/**
 * The runs a kickoff started (one per tenant) and, only with `all`, the
 * active tenants it did not start:
 *
 * - `alreadyRunning`: their run was already going (one run per tenant at a
 *   time, across every process on the database). `id` is that run's when
 *   this server started it, `null` when the run goes elsewhere (the nightly
 *   job, another server).
 * - `skipped`: left out by `SCHED_TENANT_INCLUDE` / `SCHED_TENANT_EXCLUDE`,
 *   as the nightly job leaves them out, with the reason.
 *
 * Both are empty for a kickoff of one named tenant, which the filter does
 * not apply to (as `leadgraph run --tenant` ignores it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Kickoff = Schema.Struct({
  runs: Schema.Array(Schema.Struct({ id: Schema.String, tenantId: Schema.String })),
  alreadyRunning: Schema.Array(Schema.Struct({ id: Schema.NullOr(Schema.String), tenantId: Schema.String })),
  skipped: Schema.Array(Schema.Struct({ tenantId: Schema.String, reason: SkipReason }))
})

/**
 * The score exports and the Odoo sync of the caller's tenant.
 *
 * @since 0.1.0
 * @category groups
 */
export class ExportsGroup extends HttpApiGroup.make("exports")
  .add(
    HttpApiEndpoint.get("json", "/export/latest_scores.json")
      .setUrlParams(ExportParams)
      .addSuccess(Schema.Array(LeadExport.Row))
      .annotate(OpenApi.Description, "The latest score per company at or above the threshold, best first, streamed.")
  )
  .add(
    HttpApiEndpoint.get("csv", "/export/latest_scores.csv")
      .setUrlParams(ExportParams)
      .addSuccess(Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/csv" })))
      .annotate(
        OpenApi.Description,
        "The same rows as CSV (a header row; cells a spreadsheet would run as formulas are neutralised), streamed."
      )
  )
  .add(
    HttpApiEndpoint.post("odooSync", "/export/odoo/sync")
      .setUrlParams(ExportParams)
      .addSuccess(OdooSync.SyncResult)
      .addError(Conflict)
      .annotate(
        OpenApi.Description,
        "Exports the leads at or above the threshold to the tenant's Odoo (verified contacts only), idempotently; " +
          "409 when the tenant has no active Odoo connection."
      )
  )
  .addError(ServerError)
  .middleware(TenantAuth)
{}

/**
 * Kicking off runs and following them.
 *
 * @since 0.1.0
 * @category groups
 */
export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("kickoff", "/admin/runs")
      .setPayload(KickoffRequest)
      .addSuccess(Kickoff, { status: 202 })
      .addError(Conflict)
      .addError(NotFound)
      .addError(Unavailable)
      .addError(NotConfigured)
      .annotate(
        OpenApi.Description,
        "Starts a run of the tenant (or of every active tenant) and answers at once. 503 `NotConfigured`, naming " +
          "the variables in `missing`, when the server lacks vendor keys: nothing is started or recorded. One run per tenant at a time " +
          "across every process on the database: 409 when the tenant's run already goes (here, in the nightly job " +
          "or in another server); with `all`, such tenants are listed in `alreadyRunning`. With `all`, the tenants " +
          "are filtered as the nightly job filters them (`SCHED_TENANT_INCLUDE`, `SCHED_TENANT_EXCLUDE`), and those " +
          "left out are listed in `skipped` with the reason; a named tenant is started whatever the filter says."
      )
  )
  .add(
    HttpApiEndpoint.get("run", "/admin/runs/:id")
      .setPath(Schema.Struct({
        id: Schema.String.pipe(
          Schema.maxLength(200),
          Schema.annotations({
            message: () => ({ message: "id must be a run id of at most 200 characters", override: true }),
            description: "the run's id"
          })
        )
      }))
      .addSuccess(Kickoffs.RunStatus)
      .addError(NotFound)
      .addError(Unavailable)
      .annotate(
        OpenApi.Description,
        "A run's progress and summary: from memory for runs this server started, otherwise as recorded in the " +
          "store (a run of the nightly job, of another server, or from before a restart)."
      )
  )
  .add(
    HttpApiEndpoint.get("runs", "/admin/runs")
      .setUrlParams(RunsParams)
      .addSuccess(RunHistory.Page)
      .addError(Unavailable)
      .annotate(
        OpenApi.Description,
        "Recorded runs of every tenant (or of `tenant`), newest first: id, tenant, day, status, companies by " +
          "outcome, spend by budget (null when not recorded) against the caps, times. `next` is the cursor of " +
          "the next page (null on the last)."
      )
  )
  .add(
    HttpApiEndpoint.get("runReport", "/admin/runs/:id/report.html")
      .setPath(Schema.Struct({ id: Schema.String.pipe(Schema.maxLength(200)) }))
      .addSuccess(Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/html" })))
      .addError(NotFound)
      .addError(Unavailable)
      .annotate(
        OpenApi.Description,
        "A recorded run's report: one self-contained HTML page with inline SVG charts (no script, no external asset)."
      )
  )
  .addError(ServerError)
  .middleware(AdminAuth)
{}

/**
 * Liveness and readiness.
 *
 * @since 0.1.0
 * @category groups
 */
export class HealthGroup extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("health", "/health")
      .addSuccess(Schema.Struct({ status: Schema.Literal("ok") }))
      .annotate(OpenApi.Description, "Liveness: the server answers.")
  )
  .add(
    HttpApiEndpoint.get("ready", "/ready")
      .addSuccess(Schema.Struct({ status: Schema.Literal("ready"), migrations: Schema.Int }))
      .addError(Unavailable)
      .annotate(OpenApi.Description, "Readiness: the database answers and every migration is applied (503 otherwise).")
  )
{}

/**
 * The whole API.
 *
 * @since 0.1.0
 * @category api
 */
export class Api extends HttpApi.make("leadgraph")
  .annotate(OpenApi.Title, "leadgraph")
  .annotate(
    OpenApi.Description,
    "Multi-tenant nightly B2B lead enrichment. A tenant's token (`Authorization: Bearer lg_...`) reads that " +
      "tenant's score exports and syncs them to its Odoo; the admin token (`LEADGRAPH_ADMIN_TOKEN`) sets up " +
      "tenants (ICP rules, Odoo connection, companies) and starts and follows runs. Bad input is a 400 whose " +
      "message says what was expected, field by field."
  )
  .add(ExportsGroup)
  .add(AdminGroup)
  .add(AdminTenantsGroup.middleware(AdminAuth).addError(ServerError).addError(Unavailable))
  .add(HealthGroup)
  .addError(BadRequest)
{}
