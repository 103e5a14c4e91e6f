/**
 * The admin HTTP API's tenant set-up group: the operations of `leadgraph
 * tenants`, `icp`, `odoo` and `companies import` under `/admin/tenants`,
 * behind the admin token. Input is checked by core's use cases, and a bad
 * field is a 400 whose message has one line per problem (`rules[2].weight:
 * expected a number from 0 to 100, got 150`); an unknown tenant is a 404.
 *
 * @since 0.1.0
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import type { CompanyImport } from "@leadgraph/core"
import { Schema } from "effect"

const strict = { parseOptions: { onExcessProperty: "error" } } as const

/**
 * No such tenant: 404. (The same shape as the API's other 404.)
 *
 * @since 0.1.0
 * @category errors
 */
export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()(
  "TenantNotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/**
 * Input a use case refused: 400, with one line per problem in `problems`
 * and all of them in `message`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()(
  "InvalidInput",
  { message: Schema.String, problems: Schema.Array(Schema.String) },
  HttpApiSchema.annotations({ status: 400 })
) {}

const TenantPath = Schema.Struct({
  id: Schema.String.pipe(
    Schema.maxLength(200),
    Schema.annotations({ description: "the tenant's id" })
  )
})

/**
 * A tenant as the API shows it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TenantView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  status: Schema.Literal("active", "disabled"),
  dailyCap: Schema.NullOr(Schema.Int).annotations({
    description: "companies per run day; null: SCHED_DAILY_CAP_PER_TENANT"
  }),
  timeZone: Schema.NullOr(Schema.String).annotations({ description: "the IANA zone of the run day; null: SCHED_TZ" }),
  odooConnected: Schema.optional(Schema.Boolean),
  companies: Schema.optional(Schema.Int)
})

/**
 * What `POST /admin/tenants` adds or updates: fields left out keep what is
 * stored.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TenantRequest = Schema.Struct({
  id: Schema.String.annotations({ description: "the tenant's id: 1 to 64 characters, no surrounding spaces" }),
  name: Schema.optional(Schema.String).annotations({ description: "the tenant's name (a new tenant's default: its id)" }),
  dailyCap: Schema.optional(Schema.NullOr(Schema.Number)).annotations({
    description: "companies per run day, an integer from 0; null: SCHED_DAILY_CAP_PER_TENANT"
  }),
  timeZone: Schema.optional(Schema.NullOr(Schema.String)).annotations({
    description: "an IANA zone for the tenant's run day; null: SCHED_TZ"
  })
}).annotations(strict)

/**
 * What `PUT /admin/tenants/{id}/odoo` stores.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OdooRequest = Schema.Struct({
  url: Schema.String.annotations({ description: "the Odoo server's http or https URL" }),
  database: Schema.String.annotations({ description: "the Odoo database" }),
  login: Schema.String.annotations({ description: "the Odoo user's login" }),
  secretRef: Schema.String.annotations({
    description: "env:NAME: the server's environment variable holding the password (never stored)"
  }),
  createLeads: Schema.optional(Schema.Boolean).annotations({
    description: "keep a crm.lead per exported company (default: the stored setting, true for a new connection)"
  })
}).annotations(strict)

/**
 * A stored Odoo connection (its secret reference, never the secret).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OdooView = Schema.Struct({
  url: Schema.String,
  database: Schema.String,
  login: Schema.String,
  secretRef: Schema.String,
  createLeads: Schema.Boolean,
  active: Schema.Boolean
})

/**
 * The outcome of an Odoo connection test: the server's version, or why the
 * login failed (`NoConnection`, `SecretNotSet`, `Refused`, `Unreachable`,
 * `Failed`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OdooTest = Schema.Union(
  Schema.Struct({ ok: Schema.Literal(true), serverVersion: Schema.String }),
  Schema.Struct({
    ok: Schema.Literal(false),
    reason: Schema.Literal("NoConnection", "SecretNotSet", "Refused", "Unreachable", "Failed"),
    message: Schema.String
  })
)

/**
 * A rules version.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RulesView = Schema.Struct({
  version: Schema.Int,
  setAt: Schema.String,
  rules: Schema.Array(Schema.Unknown)
})

/**
 * The largest company file `POST /admin/tenants/{id}/companies` takes
 * (16 MiB).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxCompaniesBytes = 16 * 1024 * 1024

const CsvBody = Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/csv" }))
const NdjsonBody = Schema.Uint8ArrayFromSelf.pipe(
  HttpApiSchema.withEncoding({ kind: "Uint8Array", contentType: "application/x-ndjson" })
)

/**
 * What a company import did: the counts and the rejected lines (the first
 * `CompanyImport.defaults.examples`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImportView = Schema.Struct({
  accepted: Schema.Int,
  rejected: Schema.Int,
  added: Schema.Int,
  updated: Schema.Int,
  unchanged: Schema.Int,
  repeated: Schema.Int,
  rejections: Schema.Array(Schema.Struct({ line: Schema.Int, reason: Schema.String }))
}) satisfies Schema.Schema<CompanyImport.Summary, CompanyImport.Summary>

/**
 * Tenants, their ICP rules, Odoo connections and companies.
 *
 * @since 0.1.0
 * @category groups
 */
export class AdminTenantsGroup extends HttpApiGroup.make("adminTenants")
  .add(
    HttpApiEndpoint.post("addTenant", "/admin/tenants")
      .setPayload(TenantRequest)
      .addSuccess(Schema.Struct({ added: Schema.Boolean, tenant: TenantView }))
      .annotate(OpenApi.Description, "Adds a tenant, or updates the fields given of a known one (`added` says which).")
  )
  .add(
    HttpApiEndpoint.get("listTenants", "/admin/tenants")
      .addSuccess(Schema.Array(TenantView))
      .annotate(
        OpenApi.Description,
        "Every tenant by id: status (active unless disabled), daily cap, time zone, Odoo connection, companies."
      )
  )
  .add(
    HttpApiEndpoint.post("disableTenant", "/admin/tenants/:id/disable")
      .setPath(TenantPath)
      .addSuccess(TenantView)
      .annotate(OpenApi.Description, "Disables a tenant: nightly runs and kickoffs of every tenant leave it out.")
  )
  .add(
    HttpApiEndpoint.post("enableTenant", "/admin/tenants/:id/enable")
      .setPath(TenantPath)
      .addSuccess(TenantView)
      .annotate(OpenApi.Description, "Enables a disabled tenant again.")
  )
  .add(
    HttpApiEndpoint.put("setIcp", "/admin/tenants/:id/icp")
      .setPath(TenantPath)
      .setPayload(Schema.Unknown.annotations({
        description: "a list of ICP rules ({ name, criteria, weight 0-100, active }), or { rules: [...] }"
      }))
      .addSuccess(Schema.Struct({ version: Schema.Int, changed: Schema.Boolean }))
      .annotate(
        OpenApi.Description,
        "Makes these rules the tenant's active set, as a new version when they differ from the active one " +
          "(`changed`); nothing is stored when a rule is bad."
      )
  )
  .add(
    HttpApiEndpoint.get("getIcp", "/admin/tenants/:id/icp")
      .setPath(TenantPath)
      .setUrlParams(Schema.Struct({
        version: Schema.optional(Schema.NumberFromString.pipe(
          Schema.int(),
          Schema.greaterThanOrEqualTo(1),
          Schema.annotations({
            message: () => ({ message: "version must be an integer from 1", override: true }),
            jsonSchema: {
              type: "integer",
              minimum: 1,
              description: "a version number from 1 (default: the active version)"
            }
          })
        ))
      }).annotations(strict))
      .addSuccess(RulesView)
      .annotate(OpenApi.Description, "The tenant's active ICP rules version (or the one asked for): 404 when none.")
  )
  .add(
    HttpApiEndpoint.put("connectOdoo", "/admin/tenants/:id/odoo")
      .setPath(TenantPath)
      .setPayload(OdooRequest)
      .addSuccess(OdooView)
      .annotate(OpenApi.Description, "Stores (or replaces) the tenant's Odoo connection, active.")
  )
  .add(
    HttpApiEndpoint.post("testOdoo", "/admin/tenants/:id/odoo/test")
      .setPath(TenantPath)
      .addSuccess(OdooTest)
      .annotate(
        OpenApi.Description,
        "Logs in to the tenant's Odoo and reads its server version, or says why it cannot (`ok: false`)."
      )
  )
  .add(
    HttpApiEndpoint.post("importCompanies", "/admin/tenants/:id/companies")
      .setPath(TenantPath)
      .setPayload(Schema.Union(CsvBody, NdjsonBody))
      .addSuccess(ImportView)
      .annotate(
        OpenApi.Description,
        "Imports companies from a CSV body (`text/csv`, a header row) or JSON Lines (`application/x-ndjson`), " +
          `up to ${maxCompaniesBytes / 1024 / 1024} MiB: name, domain or website; country, size, industry; other ` +
          "columns kept as attributes. Rows that cannot be used are rejected with their line and reason."
      )
  )
  .addError(TenantNotFound)
  .addError(InvalidInput)
{}
