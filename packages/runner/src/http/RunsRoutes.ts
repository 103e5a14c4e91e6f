/**
 * The bodies of the run history routes of `leadgraph serve`:
 * `GET /admin/runs` (core's `RunHistory.list`, a page and the next cursor)
 * and `GET /admin/runs/{id}/report.html` (core's `RunReport`).
 *
 * @since 0.1.0
 */
import { HttpApiDefinition } from "@leadgraph/adapters"
import { RunHistory, RunReport, type Store, type Tenant } from "@leadgraph/core"
import { Effect, Option } from "effect"

const fromStore = (e: Store.StoreError) =>
  e.retryable
    ? new HttpApiDefinition.Unavailable({ message: "the database is unavailable, try again" })
    : new HttpApiDefinition.ServerError({ message: `store ${e.operation} failed` })

/**
 * A page of recorded runs; a cursor this server did not make is a 400.
 *
 * @since 0.1.0
 * @category handlers
 */
export const list = (
  store: Store.Service,
  params: { readonly tenant?: Tenant.TenantId | undefined; readonly limit?: number | undefined; readonly cursor?: string | undefined }
): Effect.Effect<
  RunHistory.Page,
  HttpApiDefinition.BadRequest | HttpApiDefinition.Unavailable | HttpApiDefinition.ServerError
> =>
  RunHistory.list(store, { tenantId: params.tenant, limit: params.limit, cursor: params.cursor }).pipe(
    Effect.catchTags({
      InvalidCursor: (e) => Effect.fail(new HttpApiDefinition.BadRequest({ message: e.message })),
      StoreError: (e) => Effect.fail(fromStore(e))
    })
  )

/**
 * A recorded run's HTML report; an unknown run is a 404.
 *
 * @since 0.1.0
 * @category handlers
 */
export const report = (
  store: Store.Service,
  runId: string
): Effect.Effect<string, HttpApiDefinition.NotFound | HttpApiDefinition.Unavailable | HttpApiDefinition.ServerError> =>
  RunReport.gather(store, runId).pipe(
    Effect.mapError(fromStore),
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new HttpApiDefinition.NotFound({ message: `no run "${runId}"` })),
      onSome: (data) => Effect.succeed(RunReport.html(data))
    }))
  )
