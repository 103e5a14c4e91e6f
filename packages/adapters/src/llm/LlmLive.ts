/**
 * The LLM adapter: core's {@link Llm.Llm} port over OpenAI chat completions
 * with strict JSON-schema structured outputs, through the `openai` SDK (v6).
 *
 * - The SDK's own retries are off (`maxRetries: 0`): core's retry policy
 *   applies once, to retryable reasons only, honouring `retry-after-ms` /
 *   `retry-after` within its cap; each attempt has its own timeout and goes
 *   through the client-side rate limit.
 * - Tokens are drawn from core's Budget under `"openai.tokens"`: an estimate
 *   is reserved before the call, the real `usage` committed after it.
 * - After a 429 `insufficient_quota` (`OutOfCredits`) the service sends
 *   nothing more; after a refused key (401, 403) nothing more in the run,
 *   and one log line names `OPENAI_API_KEY` (see the vendor client's latch).
 * - A completion is paid for by core's charge policy: its `usage` when it
 *   came back; the tokens reserved for it when OpenAI may have billed it
 *   without an answer we could read (a truncated body without `usage`, a
 *   hung call, an interruption after sending); nothing when OpenAI refused
 *   it (4xx, 5xx, a connection never made). Such a call is not repeated.
 * - Every answer paid for is kept in core's `PaidResults` store as soon as
 *   it arrives (the tenant's, in the database when live), and asked for
 *   first: an extraction by the SHA-256 of its request body, for the run
 *   that paid and `resultTtl` (24 hours), so a resumed run does not pay for
 *   it again; a score rationale by its cache key (see
 *   {@link Llm.rationaleCacheMaterial}), for every process and run of the
 *   tenant, for `rationaleTtl` (30 days).
 *
 * ```ts
 * const llm = LlmLive.layerConfig().pipe(
 *   Layer.provide([Budget.layerMemory({ "openai.tokens": 2_000_000 }), PaidResults.layerMemory])
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Budget, Llm, PaidResults, Retry } from "@leadgraph/core"
import type { ConfigError, Scope } from "effect"
import { Clock, Config, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import OpenAI from "openai"
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions"
import * as BaseUrl from "../internal/http/BaseUrl.js"
import * as Failure from "../internal/http/Failure.js"
import * as Latch from "../internal/http/Latch.js"
import * as RateLimit from "../internal/http/RateLimit.js"
import * as SharedRateLimits from "../SharedRateLimits.js"
import * as Service from "./internal/service.js"
import * as Wire from "./internal/wire.js"

/**
 * Options of the live adapter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The environment variable the key comes from, named when OpenAI refuses it (default {@link defaults}.keyVariable). */
  readonly keyVariable?: string | undefined
  /** Base URL ending in `/v1` (default `https://api.openai.com/v1`). */
  readonly baseURL?: string | undefined
  /** The model (default {@link defaults}.model). */
  readonly model?: string | undefined
  /** Timeout of one attempt (default {@link defaults}.timeout). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Core's retry policy, partially overridden. */
  readonly retry?: Partial<Retry.Policy> | undefined
  /** At most `limit` requests per `interval` (default {@link defaults}.rateLimit: 500 a minute, spaced; see `SharedRateLimits.Limit`). */
  readonly rateLimit?: SharedRateLimits.Limit | undefined
  /** Completion-token cap of a call (default {@link defaults}.maxOutputTokens). */
  readonly maxOutputTokens?: number | undefined
  /** How long an extraction's answer is kept for a resume of its run (default {@link defaults}.resultTtl). */
  readonly resultTtl?: Duration.DurationInput | undefined
  /** How long a score rationale is kept in `PaidResults` (default {@link defaults}.rationaleTtl). */
  readonly rationaleTtl?: Duration.DurationInput | undefined
}

/**
 * Defaults: `gpt-4o-mini`, 60 s per attempt, 500 requests a minute, 1,024
 * completion tokens; extractions kept 24 hours (a resume finds them), score
 * rationales 30 days (their key changes with the features, the ICP rules
 * and the model, so a kept one stays right); the key comes from
 * `OPENAI_API_KEY`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  keyVariable: "OPENAI_API_KEY",
  baseURL: "https://api.openai.com/v1",
  model: "gpt-4o-mini",
  timeout: "60 seconds",
  rateLimit: { limit: 500, interval: "1 minute", algorithm: "spaced" },
  maxOutputTokens: Llm.defaultMaxOutputTokens,
  resultTtl: "24 hours",
  rationaleTtl: "30 days"
} as const

const headerRecord = (headers: Headers | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  headers?.forEach((value, key) => {
    out[key.toLowerCase()] = value
  })
  return out
}

/**
 * Translates what the SDK threw into an {@link Llm.LlmError}, secrets
 * scrubbed, saying whether OpenAI may have billed the call (`charged`): a
 * time-out or a connection lost after sending, and a success status whose
 * body could not be read, may have been; an error status and a connection
 * never made were not.
 *
 * @internal
 */
export const fromSdkError = (
  error: unknown,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  nowMillis: number
): Llm.LlmError => {
  const scrub = (text: string) => Failure.scrub(text, secrets)
  if (error instanceof OpenAI.APIConnectionTimeoutError || error instanceof OpenAI.APIUserAbortError) {
    return new Llm.LlmError({ reason: "Timeout", detail: "OpenAI did not answer in time", charged: true })
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const sent = Failure.sentBefore(error.cause)
    return new Llm.LlmError({
      reason: "Transport",
      detail: sent ? "the connection failed" : "the connection could not be made",
      charged: sent,
      cause: Failure.safeCause(error.cause ?? error, secrets)
    })
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const body = error.error as { readonly message?: unknown } | undefined
    const detail = scrub(typeof body?.message === "string" ? body.message : error.message)
    const requestId = error.requestID ?? undefined
    const headers = headerRecord(error.headers)
    if (error.status === 429 && (error.code === "insufficient_quota" || error.type === "insufficient_quota")) {
      return new Llm.LlmError({ reason: "OutOfCredits", status: 429, detail, requestId, charged: false })
    }
    const failure = Failure.fromStatus({ status: error.status, headers, nowMillis, detail })
    const ms = Number(headers["retry-after-ms"])
    const retryAfter = failure.reason === "RateLimited" && Number.isFinite(ms) && headers["retry-after-ms"] !== undefined
      ? Duration.millis(ms)
      : failure.retryAfter
    return new Llm.LlmError({ ...failure, retryAfter, requestId })
  }
  // A 200 whose body is not JSON (cut short, say) makes the SDK throw a SyntaxError: billed, unread.
  return new Llm.LlmError({
    reason: "BadResponse",
    detail: "the answer could not be read",
    charged: true,
    cause: Failure.safeCause(error, secrets)
  })
}

const toParams = (body: Service.RequestBody): ChatCompletionCreateParamsNonStreaming => ({
  model: body.model,
  messages: body.messages.map((m) => ({ role: m.role, content: m.content })),
  response_format: {
    type: "json_schema",
    json_schema: { name: body.response_format.json_schema.name, schema: { ...body.response_format.json_schema.schema }, strict: true }
  },
  max_completion_tokens: body.max_completion_tokens,
  temperature: body.temperature
})

/**
 * Builds what belongs to the API key once: the OpenAI SDK client, the rate
 * limit and the key latch, owned by the scope. The effect it returns builds
 * a service that draws tokens from the `Budget` in its context and keeps
 * what it paid for in the `PaidResults` in its context, with its own
 * rationale claims; run it once per run (each tenant's run gives its own),
 * and every service it builds shares the client and its limits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const factory = (
  options: Options
): Effect.Effect<Effect.Effect<Llm.Service, never, Budget.Budget | PaidResults.PaidResults>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const secrets = [options.apiKey]
    const timeout = Duration.decode(options.timeout ?? defaults.timeout)
    const client = new OpenAI({
      apiKey: Redacted.value(options.apiKey),
      baseURL: options.baseURL ?? defaults.baseURL,
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: Duration.toMillis(timeout) + 1_000
    })
    const limit = yield* RateLimit.make(options.rateLimit ?? defaults.rateLimit, SharedRateLimits.keyOf("OpenAI", [options.apiKey]))
    const latch = yield* Latch.make<Llm.LlmError>({
      vendor: "OpenAI",
      keyVariable: options.keyVariable ?? defaults.keyVariable
    })

    const call = (body: Service.RequestBody) =>
      // @effect-diagnostics-next-line unknownInEffectCatch:off -- typed right after, by `fromSdkError` (it needs the Clock)
      Effect.tryPromise({
        try: (signal) =>
          client.chat.completions.create(toParams(body), {
            signal,
            maxRetries: 0
          }).withResponse(),
        catch: (error) => error
      }).pipe(
        Effect.catchAll((error) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(fromSdkError(error, secrets, now)))
        ),
        Effect.flatMap(({ data, request_id }) =>
          Schema.decodeUnknown(Wire.ChatCompletion)(data).pipe(
            Effect.mapBoth({
              // a 200 without `usage` (or otherwise unreadable) was billed all the same
              onFailure: () =>
                new Llm.LlmError({
                  reason: "BadResponse",
                  detail: "the answer is not a chat.completion",
                  requestId: request_id ?? undefined,
                  charged: true
                }),
              onSuccess: (completion): Service.Completed => ({ completion, requestId: request_id ?? undefined })
            })
          )
        ),
        Budget.billable
      )

    // The latch, then the rate limit, then the timeout (counted from when the limiter lets the call through).
    const attempt = (body: Service.RequestBody) =>
      latch.guard(limit(call(body).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new Llm.LlmError({ reason: "Timeout", detail: `OpenAI did not answer within ${Duration.format(timeout)}`, charged: true })
        })
      )))

    const complete: Service.Complete = (body) => Retry.retry(attempt(body), options.retry)
    const settings: Service.Settings = {
      model: options.model ?? defaults.model,
      maxOutputTokens: options.maxOutputTokens ?? defaults.maxOutputTokens,
      resultTtl: options.resultTtl ?? defaults.resultTtl,
      rationaleTtl: options.rationaleTtl ?? defaults.rationaleTtl
    }

    // @effect-diagnostics-next-line returnEffectInGen:off -- the per-run constructor, returned unrun: it runs once per run
    return Effect.gen(function*() {
      const budget = yield* Budget.Budget
      const results = yield* PaidResults.PaidResults
      return yield* Service.make(complete, budget, results, settings)
    })
  })

/**
 * Builds the live service; it draws tokens from the Budget in context and
 * keeps what it paid for in the `PaidResults` in context (one
 * {@link factory}, run once).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Llm.Service, never, Budget.Budget | PaidResults.PaidResults | Scope.Scope> =>
  Effect.flatten(factory(options))

/**
 * The live LLM service; needs the Budget and the PaidResults store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Llm.Llm, never, Budget.Budget | PaidResults.PaidResults> =>
  Layer.scoped(Llm.Llm, make(options))

/**
 * The configuration {@link layerConfig} reads: `OPENAI_API_KEY` (required,
 * redacted) and `OPENAI_BASE_URL` (optional; an http(s) URL without
 * credentials, query or fragment, checked when read).
 *
 * @since 0.1.0
 * @category config
 */
export const config = Config.all({
  apiKey: Config.redacted(defaults.keyVariable).pipe(Config.withDescription("OpenAI API key (sk-...)")),
  baseURL: BaseUrl.config("OPENAI_BASE_URL", "OpenAI base URL ending in /v1 (default https://api.openai.com/v1)")
})

/**
 * The live LLM service with its key (and base URL) read from `Config`;
 * `overrides` set the other options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides?: Omit<Options, "apiKey" | "baseURL">
): Layer.Layer<Llm.Llm, ConfigError.ConfigError, Budget.Budget | PaidResults.PaidResults> =>
  Layer.scoped(
    Llm.Llm,
    Effect.flatMap(config, ({ apiKey, baseURL }) =>
      make({ ...overrides, apiKey, baseURL: Option.getOrUndefined(baseURL) }))
  )
