/**
 * Translates what went wrong on the wire into a vendor-neutral
 * {@link VendorError.Failure} (reason, status, detail, retryAfter, cause);
 * each adapter turns a `Failure` into its own tagged error with one
 * constructor call (`new TavilyError(failure)`).
 *
 * - {@link fromStatus} maps an HTTP status (plus the vendor's own odd codes
 *   through `overrides`, e.g. Tavily's 432) and reads `Retry-After`.
 * - {@link fromHttpClientError} maps `@effect/platform` client errors.
 * - {@link scrub} removes secrets from any text put into `detail` or `cause`.
 *
 * A `Failure` never holds the `HttpClientRequest` (whose headers and URL
 * parameters may carry an API key): causes are rebuilt as plain errors with
 * scrubbed messages.
 *
 * @internal
 */
import type { HttpClientError } from "@effect/platform"
import type { VendorError } from "@leadgraph/core"
import { Option, Redacted } from "effect"
import * as RetryAfter from "./RetryAfter.js"

/** Failure data shared by all vendor errors. @internal */
export type Failure = VendorError.Failure

/**
 * Replaces every occurrence of a secret in `text` with `<redacted>`.
 *
 * @internal
 */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  let out = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    if (value.length >= 4) out = out.split(value).join("<redacted>")
  }
  return out
}

/**
 * A plain `Error` standing in for a foreign cause, with the secrets scrubbed
 * from its message, so nothing that held a request leaks into logs.
 *
 * @internal
 */
export const safeCause = (cause: unknown, secrets: ReadonlyArray<Redacted.Redacted<string>>): Error => {
  const name = cause instanceof Error ? cause.name : "Error"
  const text = cause instanceof Error ? cause.message : String(cause)
  const error = new Error(scrub(text, secrets))
  error.name = name
  return error
}

/**
 * The reason an HTTP status means, before vendor overrides.
 *
 * @internal
 */
export const reasonOfStatus = (status: number): VendorError.Reason | undefined => {
  if (status < 400) return undefined
  switch (status) {
    case 401:
    case 403:
      return "Unauthorized"
    case 402:
      return "OutOfCredits"
    case 408:
    case 499:
    case 504:
    case 524:
      return "Timeout"
    case 429:
      return "RateLimited"
  }
  return status >= 500 ? "ServerError" : "BadRequest"
}

/**
 * The failure for a non-success HTTP status. `Retry-After` is read from
 * `headers` (lower-case names) relative to `nowMillis`.
 *
 * @internal
 */
export const fromStatus = (options: {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly nowMillis: number
  readonly detail?: string | undefined
  readonly overrides?: Readonly<Record<number, VendorError.Reason>> | undefined
}): Failure => {
  const reason = options.overrides?.[options.status] ?? reasonOfStatus(options.status) ?? "BadResponse"
  const retryAfter = reason === "RateLimited" || reason === "ServerError"
    ? Option.getOrUndefined(RetryAfter.parse(options.headers["retry-after"], options.nowMillis))
    : undefined
  return { reason, status: options.status, detail: options.detail, retryAfter }
}

/**
 * The failure for an `HttpClientError` from `@effect/platform`.
 *
 * @internal
 */
export const fromHttpClientError = (
  error: HttpClientError.HttpClientError,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): Failure => {
  if (error._tag === "RequestError") {
    return error.reason === "Transport"
      ? { reason: "Transport", detail: "the connection failed", cause: safeCause(error.cause ?? error, secrets) }
      : { reason: "BadRequest", detail: `the request could not be built (${error.reason})` }
  }
  return error.reason === "StatusCode"
    ? { reason: reasonOfStatus(error.response.status) ?? "BadResponse", status: error.response.status }
    : {
      reason: "BadResponse",
      status: error.response.status,
      detail: `the response body could not be read (${error.reason})`,
      cause: safeCause(error.cause ?? error.reason, secrets)
    }
}
