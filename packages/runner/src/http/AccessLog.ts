/**
 * The access log of `leadgraph serve`: one log line per request, written
 * through Effect's logger (JSON lines when not on a terminal), with the
 * method, the path, the status, the time to the response in milliseconds
 * and, when a tenant's token authenticated the request, the tenant id.
 *
 * The path is logged without its query string: a query's values may hold
 * what a client should not have put there (a token, an email address), and
 * the export's one parameter (`min_score`) is not worth that risk. The token
 * and the `Authorization` header are never logged. The duration is the time
 * until the response starts; a streamed export's body may take longer.
 *
 * @since 0.1.0
 */
import { HttpServerError, HttpServerRequest } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import type { Tenant } from "@leadgraph/core"
import { Clock, Effect, Exit, FiberRef, Option } from "effect"
import { globalValue } from "effect/GlobalValue"

/**
 * The tenant the request's token authenticated, set by the tenant token
 * middleware and read by {@link middleware} when the response is ready.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentTenant: FiberRef.FiberRef<Option.Option<Tenant.TenantId>> = globalValue(
  Symbol.for("@leadgraph/runner/http/AccessLog/currentTenant"),
  () => FiberRef.unsafeMake<Option.Option<Tenant.TenantId>>(Option.none())
)

/**
 * Notes the tenant a token authenticated, for the request's access log line.
 *
 * @since 0.1.0
 * @category combinators
 */
export const noteTenant = (tenantId: Tenant.TenantId): Effect.Effect<void> =>
  FiberRef.set(currentTenant, Option.some(tenantId))

/**
 * A request target without its query string or fragment: what the access
 * log writes as the path.
 *
 * @since 0.1.0
 * @category utils
 */
export const pathOf = (url: string): string => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/**
 * Logs one line per request at `info`: `http request` with `method`,
 * `path`, `status`, `durationMs` and `tenant` (only when a tenant token
 * authenticated the request).
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const start = yield* Clock.currentTimeNanos
    const exit = yield* Effect.exit(FiberRef.set(currentTenant, Option.none()).pipe(Effect.zipRight(app)))
    const end = yield* Clock.currentTimeNanos
    const status = Exit.isSuccess(exit) ? exit.value.status : HttpServerError.causeResponseStripped(exit.cause)[0].status
    const tenant = yield* FiberRef.get(currentTenant)
    yield* Effect.logInfo("http request").pipe(Effect.annotateLogs({
      method: request.method,
      path: pathOf(request.url),
      status,
      durationMs: Math.round(Number(end - start) / 1e4) / 100,
      ...(Option.isSome(tenant) ? { tenant: tenant.value } : {})
    }))
    return yield* exit
  })
