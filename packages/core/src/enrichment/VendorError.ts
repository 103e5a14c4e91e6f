/**
 * What every vendor port's error has in common. Each vendor declares its own
 * `Schema.TaggedError` (`TavilyError`, `LushaError`, ...) from
 * {@link fields}, so all of them carry the same `reason` vocabulary, the same
 * retryability (a `retryable` getter over {@link isRetryableReason}, read by
 * `Retry`) and the same derived message (see {@link message}).
 *
 * ```ts
 * class AcmeError extends Schema.TaggedError<AcmeError>()("AcmeError", VendorError.fields) {
 *   get retryable() { return VendorError.isRetryableReason(this.reason) }
 *   override get message() { return VendorError.message("Acme", this) }
 * }
 * ```
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

/**
 * Why a vendor call failed:
 * - `Unauthorized`: missing, wrong or forbidden key (never retried);
 * - `RateLimited`: the vendor asked us to slow down (retried, honouring `retryAfter`);
 * - `OutOfCredits`: the account's credits are spent (never retried; the adapter stops paying);
 * - `BadRequest`: the vendor rejected what we sent (never retried);
 * - `BadResponse`: the answer did not decode (never retried);
 * - `ServerError`: the vendor answered 5xx (retried);
 * - `Timeout`: no answer within the per-call timeout (retried);
 * - `Transport`: the connection failed (retried).
 *
 * @since 0.1.0
 * @category models
 */
export const Reason = Schema.Literal(
  "Unauthorized",
  "RateLimited",
  "OutOfCredits",
  "BadRequest",
  "BadResponse",
  "ServerError",
  "Timeout",
  "Transport"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Reason = typeof Reason.Type

/**
 * True for the reasons worth another attempt.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryableReason = (reason: Reason): boolean =>
  reason === "RateLimited" || reason === "ServerError" || reason === "Timeout" || reason === "Transport"

/**
 * The fields of every vendor error: the `reason`, the HTTP `status` when
 * there was one, a short `detail` (never containing a secret), the vendor's
 * `retryAfter` when it sent one, and the underlying `cause` as a defect.
 *
 * @since 0.1.0
 * @category schemas
 */
export const fields = {
  reason: Reason,
  status: Schema.optional(Schema.Number),
  detail: Schema.optional(Schema.String),
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  cause: Schema.optional(Schema.Defect)
}

/**
 * The data a vendor error is built from (what adapters produce).
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly reason: Reason
  readonly status?: number | undefined
  readonly detail?: string | undefined
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}

/**
 * The derived message of a vendor error, for example
 * `Tavily RateLimited (HTTP 429, retry after 2s): too many requests`. Takes
 * any reason string, so a vendor with extra reasons can use it too.
 *
 * @since 0.1.0
 * @category formatting
 */
export const message = (
  vendor: string,
  failure: {
    readonly reason: string
    readonly status?: number | undefined
    readonly detail?: string | undefined
    readonly retryAfter?: Duration.Duration | undefined
  }
): string => {
  const facts = [
    failure.status === undefined ? undefined : `HTTP ${failure.status}`,
    failure.retryAfter === undefined ? undefined : `retry after ${Duration.format(failure.retryAfter)}`
  ].filter((s): s is string => s !== undefined)
  const head = facts.length === 0 ? `${vendor} ${failure.reason}` : `${vendor} ${failure.reason} (${facts.join(", ")})`
  return failure.detail === undefined || failure.detail === "" ? head : `${head}: ${failure.detail}`
}
