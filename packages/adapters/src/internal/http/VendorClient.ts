/**
 * The one way live adapters talk HTTP to a vendor. Build a client once in the
 * adapter's `make` (scoped: it owns the rate limiter), then:
 *
 * ```ts
 * const client = yield* VendorClient.make({
 *   vendor: "Tavily",
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
 *   `{ accept: [404] }` decodes a non-2xx body as an answer instead.
 * - `policy` wraps an attempt: rate limit (the client's, or an endpoint's
 *   passed as `overrides.limit`), per-attempt timeout (`Timeout`, counted
 *   from when the limiter lets the attempt through), then core's `Retry`
 *   (only retryable reasons, Retry-After honoured). Each failed attempt is
 *   logged at debug level with its secret-free error. Once the vendor reports
 *   `OutOfCredits`, every later call through `policy` fails at once with
 *   `OutOfCredits` and sends nothing (unless `overrides.free`, for a balance
 *   query).
 * - `validate` checks caller input against a Schema (`BadRequest` otherwise).
 * - `fail` builds the vendor error from a `Failure` (detail scrubbed).
 * - `request` is `policy(send(...))`. For vendors that report errors inside a
 *   200 body, decode a union in `send` and `fail` inside the attempt, then
 *   wrap the whole attempt with `policy`.
 *
 * Draw from the Budget outside `policy`, so retries are paid for once.
 *
 * @internal
 */
import { Headers, HttpClient, type HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Retry, type VendorError } from "@leadgraph/core"
import { Clock, Duration, Effect, ParseResult, type Redacted, Ref, Schema, type Scope } from "effect"
import * as Failure from "./Failure.js"
import * as RateLimit from "./RateLimit.js"

/**
 * How a vendor client behaves.
 *
 * @internal
 */
export interface Options<E> {
  /** The vendor's name, used in details. */
  readonly vendor: string
  /** Secrets to scrub from any text put into an error. */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  /** Builds the vendor's tagged error from a failure. */
  readonly makeError: (failure: Failure.Failure) => E
  /** The timeout of one attempt. */
  readonly timeout: Duration.DurationInput
  /** Core's retry policy, partially overridden. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** Client-side rate limit; none when undefined. */
  readonly rateLimit?: RateLimit.Options | undefined
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
 * as an answer (Lusha's 404 with `EMPTY_DATA`).
 *
 * @internal
 */
export interface SendOptions {
  readonly accept?: ReadonlyArray<number> | undefined
}

/**
 * Per-call changes to the client's policy (a slower endpoint's timeout).
 *
 * @internal
 */
export interface CallOverrides {
  readonly timeout?: Duration.DurationInput | undefined
  /** A free call (a balance query) is sent even after `OutOfCredits`. */
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
    const limit = yield* RateLimit.make(options.rateLimit)
    const outOfCredits = yield* Ref.make<E | undefined>(undefined)
    const defaultTimeout = Duration.decode(options.timeout)
    const redactHeaders = options.redactHeaders ?? []

    const toError = (failure: Failure.Failure): E =>
      options.makeError({
        ...failure,
        detail: failure.detail === undefined ? undefined : clip(Failure.scrub(failure.detail, options.secrets))
      })
    const fail = (failure: Failure.Failure) => Effect.fail(toError(failure))

    const readBody = (response: HttpClientResponse.HttpClientResponse) =>
      response.text.pipe(
        Effect.mapError((error) => toError(Failure.fromHttpClientError(error, options.secrets)))
      )

    const statusFailure = (response: HttpClientResponse.HttpClientResponse) =>
      Effect.gen(function*() {
        const text = yield* readBody(response).pipe(Effect.orElseSucceed(() => ""))
        const parsed = parseJson(text)
        const detail = parsed.ok ? options.errorDetail?.(parsed.value) : undefined
        const nowMillis = yield* Clock.currentTimeMillis
        return yield* fail(Failure.fromStatus({
          status: response.status,
          headers: response.headers,
          nowMillis,
          detail: detail ?? (text === "" ? undefined : clip(text)),
          overrides: options.statusOverrides
        }))
      })

    const send = <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>, sendOptions?: SendOptions) =>
      Effect.gen(function*() {
        const response = yield* http.execute(request).pipe(
          Effect.mapError((error) => toError(Failure.fromHttpClientError(error, options.secrets)))
        )
        const accepted = sendOptions?.accept?.includes(response.status) === true
        if ((response.status < 200 || response.status >= 300) && !accepted) return yield* statusFailure(response)
        const text = yield* readBody(response)
        const parsed = parseJson(text)
        if (!parsed.ok) {
          return yield* fail({ reason: "BadResponse", status: response.status, detail: "the body is not JSON" })
        }
        return yield* Schema.decodeUnknown(schema)(parsed.value).pipe(
          Effect.mapError((error) =>
            toError({
              reason: "BadResponse",
              status: response.status,
              detail: `the body does not match the expected shape: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
            })
          )
        )
      }).pipe(
        Effect.scoped,
        Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...redactHeaders])
      )

    const policy = <A>(attempt: Effect.Effect<A, E>, overrides?: CallOverrides): Effect.Effect<A, E> => {
      const timeout = overrides?.timeout === undefined ? defaultTimeout : Duration.decode(overrides.timeout)
      const once = Effect.flatMap(Ref.get(outOfCredits), (spent) =>
        spent === undefined || overrides?.free === true
          // The timeout starts once the limiter lets the attempt through.
          ? (overrides?.limit ?? limit)(attempt.pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                toError({ reason: "Timeout", detail: `${options.vendor} did not answer within ${Duration.format(timeout)}` })
            })
          )).pipe(
            Effect.tapError((error) =>
              Effect.zipRight(
                Effect.logDebug(`${options.vendor} call failed`, error),
                error.reason === "OutOfCredits" ? Ref.set(outOfCredits, error) : Effect.void
              )
            )
          )
          : Effect.fail(spent))
      return Retry.retry(once, options.retry)
    }

    return {
      send,
      policy,
      request: (request, schema, overrides) => policy(send(request, schema), overrides),
      fail,
      validate: (schema, input) =>
        Schema.decodeUnknown(schema)(input).pipe(
          Effect.mapError((error) =>
            toError({ reason: "BadRequest", detail: ParseResult.TreeFormatter.formatErrorSync(error) })
          )
        )
    } satisfies VendorClient<E>
  })
