/**
 * A fake OpenAI speaking `POST /v1/chat/completions` on 127.0.0.1. It checks
 * `Authorization: Bearer <key>` (401 `invalid_api_key` otherwise), validates
 * the request and strict `json_schema` response formats (400
 * `invalid_request_error` "Invalid schema for response_format ..."), and
 * answers a `chat.completion` whose `message.content` is a JSON string
 * conforming to the schema, derived deterministically from the messages'
 * text, with a realistic `usage` block. Every answer carries `x-request-id`,
 * `openai-processing-ms`, `openai-version` and the `x-ratelimit-*` headers.
 *
 * Faults: the shared knobs (latency, hangs, a request rate limit answering
 * 429 `rate_limit_exceeded`, a rate of 500s, malformed bodies), a token
 * quota (`tokenQuota`: once spent, 429 `insufficient_quota`), a list of
 * known models (404 `model_not_found` for others), and a script of outcomes
 * for the next calls: `RateLimited` (requests or tokens, with or without
 * `retry-after` / `retry-after-ms`), `InsufficientQuota`, `ServerError`,
 * `Refusal`, `Length`.
 *
 * @since 0.1.0
 */
import { type Duration, Effect, Option, Ref, Schema, type Scope } from "effect"
import * as FakeServer from "../../internal/testing/FakeServer.js"
import * as Prng from "../../internal/testing/Prng.js"
import * as FakeModel from "./FakeModel.js"
import * as Strict from "../internal/strict.js"
import * as Wire from "../internal/wire.js"
import type * as FakeVendor from "../../testing/FakeVendor.js"

/**
 * One scripted outcome, used by the next authorised call.
 *
 * @since 0.1.0
 * @category models
 */
export type Scripted =
  | {
    readonly _tag: "RateLimited"
    /** Sent as `retry-after` (seconds). */
    readonly retryAfterSeconds?: number | undefined
    /** Sent as `retry-after-ms`. */
    readonly retryAfterMs?: number | undefined
    /** Which limit was hit (the error's `type`; default `"requests"`). */
    readonly limit?: "requests" | "tokens" | undefined
  }
  | { readonly _tag: "InsufficientQuota" }
  | { readonly _tag: "ServerError" }
  | { readonly _tag: "Refusal" }
  | { readonly _tag: "Length" }

/**
 * The fake's key and faults.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The accepted API key (default {@link defaults}.apiKey). */
  readonly apiKey?: string | undefined
  readonly seed?: number | undefined
  readonly latency?: FakeServer.Latency | undefined
  /** Requests per window before 429 `rate_limit_exceeded`. */
  readonly rateLimit?: { readonly limit: number; readonly interval: Duration.DurationInput } | undefined
  /** Whether rate-limit 429s carry `retry-after` (unconfirmed on the real API; default true). */
  readonly retryAfterHeader?: boolean | undefined
  readonly serverErrorRate?: number | undefined
  /** Share of requests answered 429 `rate_limit_exceeded` before processing (nothing billed). */
  readonly rateLimitedRate?: number | undefined
  /** Share of completions whose body is cut short (billed: they count in `served`). */
  readonly malformedRate?: number | undefined
  /** Share of requests never answered, before processing (nothing billed). */
  readonly hangRate?: number | undefined
  /** Share of completions processed (billed: they count in `served`) and then never answered. */
  readonly hangAfterRate?: number | undefined
  /** Tokens the account may still spend; unlimited when undefined. */
  readonly tokenQuota?: number | undefined
  /** Models that exist (404 `model_not_found` for others); any model when undefined. */
  readonly models?: ReadonlyArray<string> | undefined
  /** Outcomes of the next authorised calls, in order. */
  readonly script?: ReadonlyArray<Scripted> | undefined
}

/**
 * Token totals of the completions served: what the fake billed, by OpenAI's
 * rule (the tokens of every completed response), including completions it
 * then cut short or never sent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Served {
  readonly completions: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly totalTokens: number
}

/**
 * A running fake OpenAI.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeOpenAiServer {
  /** The SDK's `baseURL`: `http://127.0.0.1:<port>/v1`. */
  readonly baseURL: string
  /** HTTP calls per `"METHOD /path"`, including rejected ones. */
  readonly calls: Effect.Effect<Readonly<Record<string, number>>>
  /** Completions served and the tokens they reported. */
  readonly served: Effect.Effect<Served>
  /** Appends outcomes to the script. */
  readonly script: (...outcomes: ReadonlyArray<Scripted>) => Effect.Effect<void>
  /** The last request bodies received (up to 50), for assertions. */
  readonly requests: Effect.Effect<ReadonlyArray<unknown>>
  /** The journal of billed completions (tokens as credits), from entry `since` on; see `FakeVendor.Billed`. */
  readonly billed: (since?: number) => Effect.Effect<ReadonlyArray<FakeVendor.Billed>>
  /** The journal of every request's arrival, from entry `since` on; see `FakeVendor.Server["arrivals"]`. */
  readonly arrivals: (since?: number) => Effect.Effect<ReadonlyArray<FakeVendor.Arrival>>
}

/**
 * Defaults: key `"sk-fake-test-key"`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = { apiKey: "sk-fake-test-key" } as const

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code }
})

const masked = (key: string) => (key.length <= 10 ? "***" : `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`)

const badRequest = (message: string, param: string | null = null): FakeServer.FakeResponse => ({
  status: 400,
  body: errorBody(message, "invalid_request_error", null, param)
})

const quotaExceeded: FakeServer.FakeResponse = {
  status: 429,
  body: errorBody(
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "insufficient_quota",
    "insufficient_quota"
  )
}

const rateLimitedBody = (
  retryAfterSeconds: number | undefined,
  retryAfterMs?: number | undefined,
  limit: "requests" | "tokens" = "requests"
): FakeServer.FakeResponse => ({
  status: 429,
  body: errorBody(
    limit === "requests"
      ? "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s."
      : "Rate limit reached for gpt-4o-mini in organization org-fake on tokens per min (TPM): Limit 200000, Used 199500, Requested 900. Please try again in 120ms.",
    limit,
    "rate_limit_exceeded"
  ),
  headers: {
    ...(retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) }),
    ...(retryAfterMs === undefined ? {} : { "retry-after-ms": String(retryAfterMs) })
  }
})

const serverErrorBody: FakeServer.FakeResponse = {
  status: 500,
  body: errorBody("The server had an error while processing your request. Sorry about that!", "server_error", null)
}

const decodeRequest = Schema.decodeUnknownEither(Wire.ChatRequest)

const snapshot = (model: string) => (/\d{4}-\d{2}-\d{2}$/.test(model) ? model : `${model}-2024-07-18`)

/**
 * Starts a fake OpenAI on 127.0.0.1 and a free port, for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<FakeOpenAiServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const apiKey = options?.apiKey ?? defaults.apiKey
    const seed = options?.seed ?? 1
    const script = yield* Ref.make<ReadonlyArray<Scripted>>(options?.script ?? [])
    const served = yield* Ref.make<Served>({ completions: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 })
    const requests = yield* Ref.make<ReadonlyArray<unknown>>([])
    const ids = Prng.make(seed ^ 0x5f3759df)
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(ids() * 16).toString(16)).join("")
    const limits = { requests: options?.rateLimit?.limit ?? 10_000, tokens: options?.tokenQuota ?? 2_000_000 }

    const nextScripted = Ref.modify(script, (s): [Option.Option<Scripted>, ReadonlyArray<Scripted>] =>
      s.length === 0 ? [Option.none(), s] : [Option.some(s[0]!), s.slice(1)])

    const completions: FakeServer.Route = (request, context) =>
      Effect.gen(function*() {
        yield* Ref.update(requests, (r) => [...r.slice(-49), request.body])
        if (request.body === undefined) {
          return badRequest(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)"
          )
        }
        const decoded = decodeRequest(request.body)
        if (decoded._tag === "Left") return badRequest(`Invalid request body: ${decoded.left.message.split("\n")[0]}`)
        const body = decoded.right
        if (options?.models !== undefined && !options.models.includes(body.model)) {
          return {
            status: 404,
            body: errorBody(
              `The model \`${body.model}\` does not exist or you do not have access to it.`,
              "invalid_request_error",
              "model_not_found"
            )
          }
        }
        const format = body.response_format
        let schema: Strict.Node | undefined
        if (format?.type === "json_schema") {
          const { name } = format.json_schema
          if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
            return badRequest(
              `Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
              "response_format.json_schema.name"
            )
          }
          if (format.json_schema.strict === true) {
            const problems = Strict.violations(format.json_schema.schema)
            if (problems.length > 0) {
              return badRequest(`Invalid schema for response_format '${name}': ${problems[0]}`, "response_format")
            }
          }
          schema = format.json_schema.schema as Strict.Node
        }

        const scripted = yield* nextScripted
        if (Option.isSome(scripted)) {
          switch (scripted.value._tag) {
            case "RateLimited":
              return rateLimitedBody(scripted.value.retryAfterSeconds, scripted.value.retryAfterMs, scripted.value.limit)
            case "InsufficientQuota":
              return quotaExceeded
            case "ServerError":
              return serverErrorBody
          }
        }
        const balance = yield* context.balance
        if (balance !== undefined && balance <= 0) return quotaExceeded

        const messages = body.messages.map((m) => ({ role: m.role, content: Wire.textOf(m.content) }))
        const text = messages.filter((m) => m.role === "user").map((m) => m.content).join("\n")
        const full = schema === undefined
          ? format?.type === "json_object" ? "{}" : `Summary: ${text.slice(0, 200)}`
          : JSON.stringify(FakeModel.generate(schema, text, `${seed}:${format?.type === "json_schema" ? format.json_schema.name : ""}`))
        const refusal = Option.isSome(scripted) && scripted.value._tag === "Refusal"
        const limit = body.max_completion_tokens ?? body.max_tokens ?? undefined
        const forcedLength = Option.isSome(scripted) && scripted.value._tag === "Length"
        let content: string | null = refusal ? null : full
        let completionTokens = FakeModel.tokensOf(refusal ? "I'm sorry, I can't help with that." : full)
        let finish = "stop"
        if (!refusal && (forcedLength || (limit !== undefined && completionTokens > limit))) {
          const cap = limit !== undefined ? Math.min(limit, completionTokens) : completionTokens
          const keep = forcedLength ? Math.floor(full.length / 2) : cap * 4
          content = full.slice(0, keep)
          completionTokens = forcedLength ? FakeModel.tokensOf(content) : cap
          finish = "length"
        }
        const promptTokens = FakeModel.promptTokens(messages, schema)
        const total = promptTokens + completionTokens
        // billed (and journaled) whether or not the account has a quota
        yield* context.spend(balance === undefined ? total : Math.min(total, balance))
        yield* Ref.update(served, (s) => ({
          completions: s.completions + 1,
          promptTokens: s.promptTokens + promptTokens,
          completionTokens: s.completionTokens + completionTokens,
          totalTokens: s.totalTokens + total
        }))
        return {
          status: 200,
          body: {
            id: `chatcmpl-${hex(24)}`,
            object: "chat.completion",
            created: Math.floor((yield* Effect.clockWith((c) => c.currentTimeMillis)) / 1000),
            model: snapshot(body.model),
            choices: [{
              index: 0,
              message: { role: "assistant", content, refusal: refusal ? "I'm sorry, I can't help with that." : null, annotations: [] },
              logprobs: null,
              finish_reason: finish
            }],
            usage: {
              prompt_tokens: promptTokens,
              completion_tokens: completionTokens,
              total_tokens: total,
              prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
              completion_tokens_details: {
                reasoning_tokens: 0,
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0
              }
            },
            service_tier: "default",
            system_fingerprint: `fp_${hex(10)}`
          }
        } satisfies FakeServer.FakeResponse
      })

    const decorate = (response: FakeServer.FakeResponse, window: FakeServer.WindowState): FakeServer.FakeResponse => ({
      ...response,
      headers: {
        "x-request-id": `req_${hex(32)}`,
        "openai-processing-ms": String(20 + Math.floor(ids() * 400)),
        "openai-version": "2020-10-01",
        "openai-organization": "user-fake",
        "x-ratelimit-limit-requests": String(limits.requests),
        "x-ratelimit-limit-tokens": String(limits.tokens),
        "x-ratelimit-remaining-requests": String(Math.max(0, limits.requests - window.used)),
        "x-ratelimit-remaining-tokens": String(limits.tokens),
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "0s",
        ...response.headers
      }
    })

    const server = yield* FakeServer.make({
      vendor: {
        name: "OpenAI",
        routes: { "POST /v1/chat/completions": completions },
        authorize: (request, key) => request.headers["authorization"] === `Bearer ${key}`,
        unauthorized: (request) => {
          const given = (request.headers["authorization"] ?? "").replace(/^Bearer\s+/i, "")
          return {
            status: 401,
            body: given === ""
              ? errorBody(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
                null
              )
              : errorBody(
                `Incorrect API key provided: ${masked(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
                "invalid_request_error",
                "invalid_api_key"
              ),
            headers: { "x-request-id": `req_${hex(32)}` }
          }
        },
        rateLimited: (_request, resetMillis) =>
          rateLimitedBody(options?.retryAfterHeader === false ? undefined : Math.max(1, Math.ceil(resetMillis / 1000))),
        serverError: () => serverErrorBody,
        notFound: (request) => ({
          status: 404,
          body: errorBody(`Invalid URL (${request.method} ${request.path})`, "invalid_request_error", null)
        }),
        decorate
      },
      knobs: {
        apiKey,
        seed,
        ...(options?.latency === undefined ? {} : { latency: options.latency }),
        ...(options?.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
        ...(options?.serverErrorRate === undefined ? {} : { serverErrorRate: options.serverErrorRate }),
        ...(options?.rateLimitedRate === undefined ? {} : { rateLimitedRate: options.rateLimitedRate }),
        ...(options?.malformedRate === undefined ? {} : { malformedRate: options.malformedRate }),
        ...(options?.hangRate === undefined ? {} : { hangRate: options.hangRate }),
        ...(options?.hangAfterRate === undefined ? {} : { hangAfterRate: options.hangAfterRate }),
        ...(options?.tokenQuota === undefined ? {} : { credits: options.tokenQuota })
      }
    })

    return {
      baseURL: `${server.url}/v1`,
      calls: server.calls,
      served: Ref.get(served),
      script: (...outcomes) => Ref.update(script, (s) => [...s, ...outcomes]),
      requests: Ref.get(requests),
      billed: server.billed,
      arrivals: server.arrivals
    } satisfies FakeOpenAiServer
  })
