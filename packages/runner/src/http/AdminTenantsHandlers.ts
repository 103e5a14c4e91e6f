/**
 * The handlers of the admin API's tenant set-up group
 * (`AdminTenantsApi.AdminTenantsGroup`): each is core's use case
 * (`TenantSetup`, `IcpSetup`, `OdooSetup`, `CompanyImport`) with its errors
 * mapped to statuses: a bad field is a 400 with one line per problem, an
 * unknown tenant a 404, a database that cannot answer a 503.
 *
 * @since 0.1.0
 */
import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { AdminTenantsApi, CompanyFile, HttpApiDefinition } from "@leadgraph/adapters"
import { CompanyImport, IcpSetup, type Invalid, type Nightly, OdooConnector, OdooSetup, Store, type Tenant, TenantSetup } from "@leadgraph/core"
import { Effect, Option } from "effect"

const fromStore = (e: Store.StoreError) =>
  e.retryable
    ? new HttpApiDefinition.Unavailable({ message: "the database is unavailable, try again" })
    : new HttpApiDefinition.ServerError({ message: `store ${e.operation} failed` })

const invalid = (e: Invalid.InvalidInput) =>
  new AdminTenantsApi.InvalidInput({ message: e.problems.join("\n"), problems: e.problems })

const notFound = (e: Nightly.UnknownTenant) => new AdminTenantsApi.TenantNotFound({ message: e.message })

/** The use cases' errors as the API's. */
const mapped = <A, R>(
  effect: Effect.Effect<A, Invalid.InvalidInput | Nightly.UnknownTenant | Store.StoreError, R>
) =>
  effect.pipe(Effect.catchTags({
    InvalidInput: (e) => Effect.fail(invalid(e)),
    UnknownTenant: (e) => Effect.fail(notFound(e)),
    StoreError: (e) => Effect.fail(fromStore(e))
  }))

const view = (t: Tenant.Tenant | Tenant.TenantSummary) => ({
  id: t.id,
  name: t.name,
  status: t.disabled === true ? "disabled" as const : "active" as const,
  dailyCap: t.dailyCap ?? null,
  timeZone: t.timeZone ?? null,
  ...("odooConnected" in t ? { odooConnected: t.odooConnected, companies: t.companies } : {})
})

/**
 * The content types `POST /admin/tenants/{id}/companies` reads, and the
 * company file format of each.
 *
 * @since 0.1.0
 * @category constants
 */
export const importFormats: ReadonlyArray<readonly [contentType: string, format: CompanyFile.Format]> = [
  ["text/csv", "csv"],
  ["application/x-ndjson", "jsonl"]
]

/**
 * The company file format of a request's content type, if it is one.
 *
 * @since 0.1.0
 * @category helpers
 */
export const importFormatOf = (contentType: string | undefined): Option.Option<CompanyFile.Format> =>
  Option.fromNullable(importFormats.find(([type]) => (contentType ?? "").toLowerCase().includes(type))?.[1])

/**
 * The group's handlers, over the store and the Odoo connector in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(HttpApiDefinition.Api, "adminTenants", (handlers) =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    const connector = yield* OdooConnector.OdooConnector
    const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.provideService(Store.Store, store),
        Effect.provideService(OdooConnector.OdooConnector, connector)
      )
    return handlers
      .handle("addTenant", ({ payload }) =>
        provide(mapped(Effect.map(TenantSetup.add(payload), ({ added, tenant }) => ({ added, tenant: view(tenant) })))))
      .handle("listTenants", () => provide(TenantSetup.list.pipe(Effect.map((ts) => ts.map(view)), Effect.mapError(fromStore))))
      .handle("disableTenant", ({ path }) => provide(mapped(Effect.map(TenantSetup.setDisabled(path.id, true), view))))
      .handle("enableTenant", ({ path }) => provide(mapped(Effect.map(TenantSetup.setDisabled(path.id, false), view))))
      .handle("setIcp", ({ path, payload }) => provide(mapped(IcpSetup.set(path.id, payload))))
      .handle("getIcp", ({ path, urlParams }) =>
        provide(mapped(IcpSetup.show(path.id, urlParams.version))).pipe(
          Effect.flatMap(Option.match({
            onNone: () =>
              Effect.fail(
                new AdminTenantsApi.TenantNotFound({
                  message: urlParams.version === undefined
                    ? `tenant "${path.id}" has no ICP rules version`
                    : `tenant "${path.id}" has no ICP rules version ${urlParams.version}`
                })
              ),
            onSome: (v) => Effect.succeed({ version: v.version, setAt: v.setAt.toISOString(), rules: v.rules })
          }))
        ))
      .handle("connectOdoo", ({ path, payload }) =>
        provide(mapped(Effect.map(OdooSetup.connect(path.id, payload), (c) => ({ ...c })))))
      .handle("testOdoo", ({ path }) =>
        provide(mapped(
          OdooSetup.test(path.id).pipe(
            Effect.map(({ serverVersion }) => ({ ok: true as const, serverVersion })),
            Effect.catchTag("OdooTestFailed", (e) =>
              Effect.succeed({ ok: false as const, reason: e.reason, message: e.message }))
          )
        )))
      .handle("importCompanies", ({ path, payload }) =>
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          const format = Option.getOrElse(importFormatOf(request.headers["content-type"]), () => "csv" as const)
          const tenant = yield* provide(mapped(TenantSetup.existing(path.id)))
          const summary = yield* CompanyImport.run(
            store.forTenant(tenant.id),
            CompanyFile.rowsOfBytes(payload, format)
          ).pipe(
            Effect.catchTags({
              StoreError: (e) => Effect.fail(fromStore(e)),
              CompanyFileError: (e) => Effect.fail(new HttpApiDefinition.BadRequest({ message: e.message }))
            })
          )
          return summary
        }))
  }))
