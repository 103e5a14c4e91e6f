/**
 * The one way live adapters talk HTTP to a vendor. Build a client once in the
 * adapter's `make` (scoped: it owns the rate limiter), then:
 *
 * ```ts
 * const client = yield* VendorClient.make({
 *   vendor: "Tavily",
 *   keyVariable: "TAVILY_API_KEY",           // named in the one log line when the key is refused
 *   secrets: [apiKey],                       // scrubbed from every detail and cause
 *   makeError: (failure) => new TavilyError(failure),
 *   timeout: "30 seconds",                   // per attempt
 *   retry: options.retry,                    // core's Retry policy (partial)
 *   rateLimit: { limit: 100, interval: "1 minute" },
 *   statusOverrides: { 432: "OutOfCredits", 433: "OutOfCredits" },
 *   errorDetail: (body) => ...               // the vendor's error message, if any
 * })
 * const result = yield* client.request(HttpClientRequest.post(url), SearchResponse)
 * ```
 *
 * - `send` is one attempt: it maps transport errors and non-2xx statuses into
 *   the vendor error (Retry-After read, secrets scrubbed), reads the body as
 *   JSON and decodes it with the Schema (anything else is `BadResponse`).
 *   `{ accept: [404] }` decodes a non-2xx body as an answer instead. Every
 *   error says whether the vendor may have billed the attempt (`charged`):
 *   true for an answer with a success status that could not be read (a
 *   truncated or malformed body), a gateway time-out, a transport failure
 *   after the request left; false for every other error status (a refusal)
 *   and a connection never made; always false for a free call
 *   (`{ free: true }`, or a client made with `billing: "free"`). A billable
 *   attempt is also marked with core's `Budget.billable`, so a paid call
 *   interrupted after sending is counted as billed.
 * - `policy` wraps an attempt: the key latch (see `Latch`: after
 *   `Unauthorized` or `OutOfCredits` every later call of the run fails at
 *   once and sends nothing, said once in the log; while the key is
 *   unproven, one attempt at a time), rate limit (the client's, or an
 *   endpoint's passed as `overrides.limit`), per-attempt timeout
 *   (`Timeout`, counted from when the limiter lets the attempt through;
 *   `charged` unless the call is free), then core's `Retry`: retryable
 *   reasons only, Retry-After honoured, and never an attempt the vendor may
 *   have billed (`VendorError.isRetryable`), so a paid call is not repeated
 *   under one reservation, while a free or idempotent call is repeated on a
 *   malformed answer too. Each failed attempt is logged at debug level with
 *   its secret-free error.
 * - `validate` checks caller input against a Schema (`BadRequest` otherwise).
 * - `fail` builds the vendor error from a `Failure` (detail scrubbed;
 *   `charged: false` unless given).
 * - `request` is `policy(send(...))`. For vendors that report errors inside a
 *   200 body, decode a union in `send` and `fail` inside the attempt, then
 *   wrap the whole attempt with `policy`.
 *
 * Draw from the Budget outside `policy` (`Budget.withReservation`,
 * `PaidResults.reserving`): its charge policy reads `charged` from the
 * error.
 *
 * @internal
 */
import { Headers, HttpClient, type HttpClientError, type HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Budget, Retry, type VendorError } from "@leadgraph/core"
import { Clock, Duration, Effect, ParseResult, type Redacted, Schema, type Scope } from "effect"
import * as Failure from "./Failure.js"
import * as Latch from "./Latch.js"
import * as SharedRateLimits from "../../SharedRateLimits.js"
import * as RateLimit from "./RateLimit.js"

/**
 * How a vendor client behaves.
 *
 * @internal
 */
export interface Options<E> {
  /** The vendor's name, used in details. */
  readonly vendor: string
  /** The environment variable holding the key (`LUSHA_API_KEY`), named in the log when the vendor refuses it. */
  readonly keyVariable?: string | undefined
  /** How long a key or credits latch tripped outside any run holds (default `Latch.defaults.expiry`). */
  readonly latchExpiry?: Duration.DurationInput | undefined
  /** `"free"`: the vendor bills none of this client's calls (Odoo); default `"paid"`. */
  readonly billing?: "paid" | "free" | undefined
  /** Secrets to scrub from any text put into an error. */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  /**
   * Whether runs of 4 or more of a secret's characters are scrubbed too (the
   * tail of a key a vendor echoes back; default true). Odoo turns it off: its
   * secret is a password it never echoes, and would hide words like `odoo`.
   */
  readonly scrubRuns?: boolean | undefined
  /** Builds the vendor's tagged error from a failure. */
  readonly makeError: (failure: Failure.Failure) => E
  /** The timeout of one attempt. */
  readonly timeout: Duration.DurationInput
  /** Core's retry policy, partially overridden. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** Client-side rate limit; none when undefined. */
  readonly rateLimit?: RateLimit.Options | undefined
  /**
   * The key of the limit when limits are shared between processes
   * (`SharedRateLimits`); default `SharedRateLimits.keyOf(vendor, secrets)`.
   */
  readonly limitKey?: string | undefined
  /** Vendor-specific statuses (Tavily's 432/433 mean out of credits). */
  readonly statusOverrides?: Readonly<Record<number, VendorError.Reason>> | undefined
  /** Reads the vendor's error message from a non-2xx JSON body. */
  readonly errorDetail?: ((body: unknown) => string | undefined) | undefined
  /** Extra request header names to redact from traces (e.g. Lusha's `api_key`). */
  readonly redactHeaders?: ReadonlyArray<string> | undefined
  /** Disables HTTP tracing when the secret travels in the URL (ZeroBounce). */
  readonly secretInUrl?: boolean | undefined
}

/**
 * A vendor client; see the module comment.
 *
 * @internal
 */
export interface VendorClient<E> {
  readonly send: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>,
    options?: SendOptions
  ) => Effect.Effect<A, E>
  readonly policy: <A>(attempt: Effect.Effect<A, E>, overrides?: CallOverrides) => Effect.Effect<A, E>
  readonly request: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I>,
    overrides?: CallOverrides
  ) => Effect.Effect<A, E>
  readonly fail: (failure: Failure.Failure) => Effect.Effect<never, E>
  /** Decodes caller input with a Schema; a mismatch is `BadRequest` and nothing is sent. */
  readonly validate: <A, I>(schema: Schema.Schema<A, I>, input: unknown) => Effect.Effect<A, E>
}

/**
 * Options of one send: `accept` lists non-2xx statuses whose body is decoded
 * as an answer (Lusha's 404 with `EMPTY_DATA`); `free` marks a call the
 * vendor does not bill (its errors are never `charged`).
 *
 * @internal
 */
export interface SendOptions {
  readonly accept?: ReadonlyArray<number> | undefined
  readonly free?: boolean | undefined
}

/**
 * Per-call changes to the client's policy (a slower endpoint's timeout).
 *
 * @internal
 */
export interface CallOverrides {
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * A call the vendor does not bill (a balance query, a free search): never
   * `charged`, so repeated on a malformed answer too, and sent even after
   * `OutOfCredits`.
   */
  readonly free?: boolean | undefined
  /** A limiter for this endpoint, used instead of the client's own. */
  readonly limit?: RateLimit.Limit | undefined
}

const maxDetail = 300

const clip = (text: string): string => (text.length > maxDetail ? `${text.slice(0, maxDetail)}...` : text)

const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/**
 * Builds a vendor client over the `HttpClient` in context.
 *
 * @internal
 */
export const make = <E extends { readonly reason: string }>(
  options: Options<E>
): Effect.Effect<VendorClient<E>, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const base = yield* HttpClient.HttpClient
    const http = options.secretInUrl === true ? HttpClient.withTracerDisabledWhen(base, () => true) : base
    const limit = yield* RateLimit.make(options.rateLimit, options.limitKey ?? SharedRateLimits.keyOf(options.vendor, options.secrets))
    const latch = yield* Latch.make<E>({ vendor: options.vendor, keyVariable: options.keyVariable, expiry: options.latchExpiry })
    const defaultTimeout = Duration.decode(options.timeout)
    const redactHeaders = options.redactHeaders ?? []
    const freeClient = options.billing === "free"

    const toError = (failure: Failure.Failure): E =>
      options.makeError({
        ...failure,
        detail: failure.detail === undefined
          ? undefined
          : clip(Failure.scrub(failure.detail, options.secrets, { runs: options.scrubRuns }))
      })
    const fail = (failure: Failure.Failure) => Effect.fail(toError({ ...failure, charged: failure.charged ?? false }))

    const statusFailure = (response: HttpClientResponse.HttpClientResponse, billable: boolean) =>
      Effect.gen(function*() {
        const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
        const parsed = parseJson(text)
        const detail = parsed.ok ? options.errorDetail?.(parsed.value) : undefined
        const nowMillis = yield* Clock.currentTimeMillis
        const failure = Failure.fromStatus({
          status: response.status,
          headers: response.headers,
          nowMillis,
          detail: detail ?? (text === "" ? undefined : clip(text)),
          overrides: options.statusOverrides
        })
        return yield* Effect.fail(toError({ ...failure, charged: billable && failure.charged === true }))
      })

    const send = <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>, sendOptions?: SendOptions) => {
      const billable = !freeClient && sendOptions?.free !== true
      const transport = (error: HttpClientError.HttpClientError) => {
        const failure = Failure.fromHttpClientError(error, options.secrets)
        return toError({ ...failure, charged: billable && failure.charged === true })
      }
      const attempt = Effect.gen(function*() {
        const response = yield* http.execute(request).pipe(Effect.mapError(transport))
        const accepted = sendOptions?.accept?.includes(response.status) === true
        if ((response.status < 200 || response.status >= 300) && !accepted) return yield* statusFailure(response, billable)
        // The vendor answered with a success status: it may have billed the call, whatever the body holds.
        const unreadable = (detail: string) => toError({ reason: "BadResponse", status: response.status, detail, charged: billable })
        const text = yield* response.text.pipe(Effect.mapError(transport))
        const parsed = parseJson(text)
        if (!parsed.ok) return yield* Effect.fail(unreadable("the body is not JSON"))
        return yield* Schema.decodeUnknown(schema)(parsed.value).pipe(
          Effect.mapError((error) =>
            unreadable(`the body does not match the expected shape: ${ParseResult.TreeFormatter.formatErrorSync(error)}`)
          )
        )
      }).pipe(
        Effect.scoped,
        Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...redactHeaders])
      )
      return billable ? Budget.billable(attempt) : attempt
    }

    const policy = <A>(attempt: Effect.Effect<A, E>, overrides?: CallOverrides): Effect.Effect<A, E> => {
      const timeout = overrides?.timeout === undefined ? defaultTimeout : Duration.decode(overrides.timeout)
      const free = freeClient || overrides?.free === true
      const once = latch.guard(
        // The timeout starts once the limiter lets the attempt through.
        (overrides?.limit ?? limit)(attempt.pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              toError({
                reason: "Timeout",
                detail: `${options.vendor} did not answer within ${Duration.format(timeout)}`,
                // a hung call may have been processed: billed, unless the call is free
                charged: !free
              })
          })
        )),
        { free }
      ).pipe(Effect.tapError((error) => Effect.logDebug(`${options.vendor} call failed`, error)))
      return Retry.retry(once, options.retry)
    }

    return {
      send,
      policy,
      request: (request, schema, overrides) => policy(send(request, schema, { free: overrides?.free }), overrides),
      fail,
      validate: (schema, input) =>
        Schema.decodeUnknown(schema)(input).pipe(
          Effect.mapError((error) =>
            toError({ reason: "BadRequest", detail: ParseResult.TreeFormatter.formatErrorSync(error) })
          )
        )
    } satisfies VendorClient<E>
  })
