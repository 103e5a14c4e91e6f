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
 * - {@link chargedByStatus} and {@link sentBefore} say whether the vendor
 *   may have billed a call that failed (`Failure.charged`).
 *
 * A `Failure` never holds the `HttpClientRequest` (whose headers and URL
 * parameters may carry an API key): causes are rebuilt as plain errors with
 * scrubbed messages.
 *
 * @internal
 */
import type { HttpClientError } from "@effect/platform"
import { VendorError } from "@leadgraph/core"
import { Option, Redacted } from "effect"
import * as RetryAfter from "./RetryAfter.js"

/** Failure data shared by all vendor errors. @internal */
export type Failure = VendorError.Failure

/** The shortest run of a secret's characters that counts as part of it. */
const minRun = 4

/**
 * The spans of `text` covered by runs of at least 4 characters that occur
 * in `secret` (each 4-character window of the run is one of the secret's).
 */
const runsOf = (text: string, secret: string): ReadonlyArray<readonly [number, number]> => {
  if (secret.length < minRun || text.length < minRun) return []
  const grams = new Set<string>()
  for (let i = 0; i + minRun <= secret.length; i++) grams.add(secret.slice(i, i + minRun))
  const spans: Array<readonly [number, number]> = []
  let start = -1
  let end = -1
  for (let i = 0; i + minRun <= text.length; i++) {
    if (!grams.has(text.slice(i, i + minRun))) continue
    if (start >= 0 && i <= end) end = i + minRun
    else {
      if (start >= 0) spans.push([start, end])
      start = i
      end = i + minRun
    }
  }
  if (start >= 0) spans.push([start, end])
  return spans
}

/**
 * Removes every secret from `text`: each whole secret, any run of 4 or more
 * of a secret's characters (the masked tail a vendor echoes back, say
 * `...9f3a`; unless `runs` is false), and what `VendorError.redact` catches
 * (`api_key=...`, `Bearer ...`, masked keys), each replaced with
 * `<redacted>`.
 *
 * @internal
 */
export const scrub = (
  text: string,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  options?: { readonly runs?: boolean | undefined }
): string => {
  const values = secrets.map(Redacted.value).filter((value) => value.length >= minRun)
  let out = text
  for (const value of values) out = out.split(value).join("<redacted>")
  // masked keys and key fragments first, so a masked key goes as one word
  out = VendorError.redact(out)
  if (options?.runs !== false) {
    for (const value of values) {
      const spans = runsOf(out, value)
      for (let i = spans.length - 1; i >= 0; i--) {
        const [from, to] = spans[i]!
        out = `${out.slice(0, from)}<redacted>${out.slice(to)}`
      }
    }
  }
  return out.replace(/(?:<redacted>){2,}/g, "<redacted>")
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
 * Whether the vendor may have billed a call it answered with `status`: a
 * success status (its body then could not be read), or a gateway's time-out
 * (504, 524: the vendor behind it may still have done the work). Every
 * other error status is the vendor's refusal, which the vendors' billing
 * rules do not charge for (4xx before processing; 5xx: Lusha's "an API error
 * costs nothing", ZeroBounce's charge per validation returned, OpenAI's per
 * completed response).
 *
 * @internal
 */
export const chargedByStatus = (status: number): boolean =>
  (status >= 200 && status < 300) || status === 504 || status === 524

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
  return { reason, status: options.status, detail: options.detail, retryAfter, charged: chargedByStatus(options.status) }
}

/** Error codes of a connection that was never made: nothing reached the vendor. */
const notSent = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EAI_FAIL",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_DESTROYED",
  "UND_ERR_CLOSED",
  "UND_ERR_INVALID_ARG",
  "ERR_INVALID_URL"
])

const codesOf = (cause: unknown, depth = 0): ReadonlyArray<string> => {
  if (typeof cause !== "object" || cause === null || depth > 4) return []
  const own = "code" in cause && typeof cause.code === "string" ? [cause.code] : []
  const nested = "cause" in cause ? codesOf(cause.cause, depth + 1) : []
  const all = "errors" in cause && Array.isArray(cause.errors) ? cause.errors.flatMap((e) => codesOf(e, depth + 1)) : []
  return [...own, ...nested, ...all]
}

/**
 * True when a transport failure happened before the request reached the
 * vendor (connection refused, DNS failure, unreachable network): such a
 * call was certainly not billed. Any other transport failure (a socket
 * closed or reset after sending) may have been.
 *
 * @internal
 */
export const sentBefore = (cause: unknown): boolean => {
  const codes = codesOf(cause)
  return !(codes.length > 0 && codes.every((c) => notSent.has(c)))
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
      ? {
        reason: "Transport",
        detail: sentBefore(error.cause) ? "the connection failed" : "the connection could not be made",
        charged: sentBefore(error.cause),
        cause: safeCause(error.cause ?? error, secrets)
      }
      : { reason: "BadRequest", detail: `the request could not be built (${error.reason})`, charged: false }
  }
  return error.reason === "StatusCode"
    ? {
      reason: reasonOfStatus(error.response.status) ?? "BadResponse",
      status: error.response.status,
      charged: chargedByStatus(error.response.status)
    }
    : {
      reason: "BadResponse",
      status: error.response.status,
      detail: `the response body could not be read (${error.reason})`,
      charged: chargedByStatus(error.response.status),
      cause: safeCause(error.cause ?? error.reason, secrets)
    }
}
