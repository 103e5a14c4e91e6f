/**
 * What every vendor port's error has in common. Each vendor declares its own
 * `Schema.TaggedError` (`TavilyError`, `LushaError`, ...) from
 * {@link fields}, so all of them carry the same `reason` vocabulary, the same
 * `charged` flag (may the vendor have billed the call? read by `Budget`'s
 * charge policy), the same retryability (a `retryable` getter over
 * {@link isRetryable}, read by `Retry`), the same derived message (see
 * {@link message}) and the same failure code (see {@link code}).
 *
 * ```ts
 * class AcmeError extends Schema.TaggedError<AcmeError>()("AcmeError", VendorError.fields) {
 *   get retryable() { return VendorError.isRetryable(this) }
 *   get code() { return VendorError.code("acme", this) }
 *   override get message() { return VendorError.message("Acme", this) }
 * }
 * ```
 *
 * One rule for repeating a call: an attempt the vendor may have billed
 * (`charged: true`) is never repeated, whatever its reason, so a paid call
 * is paid for at most once per reservation; an attempt it certainly did not
 * bill is repeated for the retryable reasons, and also for `BadResponse`
 * (a malformed answer to a free or idempotent call, which `charged: false`
 * marks).
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

/**
 * Why a vendor call failed:
 * - `Unauthorized`: missing, wrong or forbidden key (never retried; the adapter stops calling the
 *   vendor for the rest of the run and logs once which variable holds the key);
 * - `RateLimited`: the vendor asked us to slow down (retried, honouring `retryAfter`);
 * - `OutOfCredits`: the account's credits are spent (never retried; the adapter stops paying);
 * - `BadRequest`: the vendor rejected what we sent (never retried);
 * - `BadResponse`: the answer did not decode (retried only when the call was certainly not
 *   billed: a free or idempotent call);
 * - `ServerError`: the vendor answered 5xx (retried);
 * - `Timeout`: no answer within the per-call timeout (retried when not billed);
 * - `Transport`: the connection failed (retried when not billed: a connection never made).
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
 * True when a failed attempt is worth another one: never when the vendor may
 * have billed it (`charged: true`: repeating it could pay twice); for the
 * retryable reasons otherwise; and for `BadResponse` when the attempt is
 * known not to have been billed (`charged: false`: a free or idempotent
 * call whose answer could not be read).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (failure: { readonly reason: string; readonly charged?: boolean | undefined }): boolean =>
  failure.charged !== true &&
  ((Reason.literals as ReadonlyArray<string>).includes(failure.reason) && isRetryableReason(failure.reason as Reason) ||
    (failure.reason === "BadResponse" && failure.charged === false))

/**
 * The fields of every vendor error: the `reason`, the HTTP `status` when
 * there was one, a short `detail` (never containing a secret), the vendor's
 * `retryAfter` when it sent one, `charged` (true when the vendor may have
 * billed the call: an answer with a success status that could not be read,
 * a call that timed out or lost its connection after it was sent; false
 * when it certainly did not: a refusal before processing, a connection
 * never made, a free call; absent when unknown), and the underlying `cause`
 * as a defect.
 *
 * @since 0.1.0
 * @category schemas
 */
export const fields = {
  reason: Reason,
  status: Schema.optional(Schema.Number),
  detail: Schema.optional(Schema.String),
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  charged: Schema.optional(Schema.Boolean),
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
  readonly charged?: boolean | undefined
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

const maxCodeDetail = 120

/** A word as `redact` sees it: a run of characters that are not spaces, quotes or brackets. */
const word = /[^\s"',;()[\]{}<>]+/g

/** A name of a credential followed by `=` or `:`, e.g. `api_key=`, `"token": "`. */
const named = /\b(api[_-]?key|apikey|access[_-]?token|token|password|secret)(["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)([^\s"'&,;)]+)/gi

/**
 * Removes what may be part of a credential from free text: `api_key=...`,
 * `apikey: ...`, `token=...`, `password=...` values, `Bearer ...` tokens,
 * masked keys (`sk-****abcd`, `****1234`) and key-shaped words (`sk-...`,
 * `tvly-...`). Vendor clients also remove their own keys (and any run of 4
 * or more of their characters); this catches what a vendor echoes back in a
 * form the client cannot recognise. Linear in the text (no backtracking).
 *
 * @since 0.1.0
 * @category formatting
 */
export const redact = (text: string): string =>
  text
    .replace(named, (_match, name: string, sep: string) => `${name}${sep}<redacted>`)
    .replace(/\bBearer[ \t]{1,4}[^\s"',;)]+/gi, "Bearer <redacted>")
    .replace(word, (w) => {
      // a masked key (keeping a sentence's full stop), or a key-shaped word
      if (w.includes("***")) return w.endsWith(".") ? "<redacted>." : "<redacted>"
      return /^(sk|tvly|pk|rk)-[A-Za-z0-9_-]{8,}$/.test(w.replace(/\.$/, "")) ? (w.endsWith(".") ? "<redacted>." : "<redacted>") : w
    })

/**
 * A failure's stable code, for recording and grouping:
 * `<vendor>.<reason>(<status>): <short message>`, for example
 * `lusha.Unauthorized(401): Invalid API key` or `tavily.Timeout: Tavily did
 * not answer within 30s`. The head (`lusha.Unauthorized(401)`) is stable;
 * the message is the vendor's `detail`, cut at 120 characters and passed
 * through {@link redact}, so no part of a key shows.
 *
 * @since 0.1.0
 * @category formatting
 */
export const code = (
  vendor: string,
  failure: { readonly reason: string; readonly status?: number | undefined; readonly detail?: string | undefined }
): string => {
  const head = `${vendor}.${failure.reason}${failure.status === undefined ? "" : `(${failure.status})`}`
  const detail = redact((failure.detail ?? "").replace(/\s+/g, " ").trim())
  if (detail === "") return head
  return `${head}: ${detail.length > maxCodeDetail ? `${detail.slice(0, maxCodeDetail)}...` : detail}`
}
