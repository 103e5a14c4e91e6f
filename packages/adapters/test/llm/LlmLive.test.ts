import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, Llm, PaidResults } from "@leadgraph/core"
import { Cause, ConfigProvider, Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, Redacted, Schema } from "effect"
import * as LlmLive from "../../src/llm/LlmLive.js"
import * as FakeOpenAiServer from "../../src/llm/testing/FakeOpenAiServer.js"
import * as LlmFake from "../../src/llm/testing/LlmFake.js"

const apiKey = "sk-live-0123456789abcdefSECRET"

const fastRetry = { base: "5 millis", maxDelay: "20 millis", retries: 2, maxRetryAfter: "50 millis" } as const

const Firmographics = Schema.Struct({
  company: Schema.String,
  employees: Schema.optional(Schema.Int),
  industry: Schema.Literal("software", "manufacturing", "retail", "other"),
  hiring: Schema.Boolean,
  locations: Schema.Array(Schema.String),
  founded: Schema.optional(Schema.Int.pipe(Schema.between(1800, 2100)))
})

const page = [
  "company: Acme GmbH",
  "employees: 120",
  "Acme builds software for retail chains and manufacturing plants.",
  "hiring: yes",
  "locations: Berlin, Munich"
].join("\n")

const extractRequest = {
  schema: Firmographics,
  name: "firmographics",
  instructions: "Extract the company's firmographics.",
  text: page
}

const tokens = (cap: number) => Layer.merge(Budget.layerMemory({ [Llm.tokenBudget]: cap }), PaidResults.layerMemory)

/** Runs `f` with a fake OpenAI and the live adapter pointed at it, over real HTTP. */
const withLlm = <A, E>(
  f: (server: FakeOpenAiServer.FakeOpenAiServer, llm: Llm.Service, budget: Budget.Service) => Effect.Effect<A, E>,
  options?: {
    readonly server?: FakeOpenAiServer.Options
    readonly adapter?: Partial<LlmLive.Options>
    readonly cap?: number
  }
) =>
  Effect.gen(function*() {
    const server = yield* FakeOpenAiServer.make({ apiKey, ...options?.server })
    const llm = yield* LlmLive.make({
      apiKey: Redacted.make(apiKey),
      baseURL: server.baseURL,
      timeout: "2 seconds",
      retry: fastRetry,
      rateLimit: undefined,
      ...options?.adapter
    })
    return yield* f(server, llm, yield* Budget.Budget)
  }).pipe(Effect.provide(tokens(options?.cap ?? 1_000_000)), Effect.scoped)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

const llmFailure = <A>(exit: Exit.Exit<A, Llm.LlmError | Budget.BudgetExhausted>): Llm.LlmError => {
  const error = failureOf(exit)
  if (error._tag !== "LlmError") throw new Error(`expected an LlmError, got ${error._tag}`)
  return error
}

const completions = (server: FakeOpenAiServer.FakeOpenAiServer) =>
  Effect.map(server.calls, (c) => c["POST /v1/chat/completions"] ?? 0)

describe("LLM live adapter (openai SDK) against the fake OpenAI", () => {
  it.live("extracts a Schema-typed value through a strict json_schema and commits the real usage", () =>
    withLlm((server, llm, budget) =>
      Effect.gen(function*() {
        const result = yield* llm.extract(extractRequest)
        expect(result.value).toMatchObject({
          company: "Acme GmbH",
          employees: 120,
          hiring: true,
          locations: ["Berlin", "Munich"]
        })
        // `founded` is not in the text: the model answered null and the Schema reads it as absent.
        expect("founded" in result.value).toBe(false)
        expect(result.model).toBe("gpt-4o-mini-2024-07-18")
        const served = yield* server.served
        expect(result.usage.totalTokens).toBe(served.totalTokens)
        expect(served.promptTokens).toBeGreaterThan(50)
        const usage = yield* budget.usage(Llm.tokenBudget)
        expect(usage).toMatchObject({ committed: served.totalTokens, reserved: 0 })

        const [sent] = (yield* server.requests) as Array<any>
        expect(sent.response_format.json_schema).toMatchObject({ name: "firmographics", strict: true })
        expect(sent.response_format.json_schema.schema.required).toEqual(
          ["company", "employees", "industry", "hiring", "locations", "founded"]
        )
        // The same text gives the same answer.
        expect((yield* llm.extract(extractRequest)).value).toEqual(result.value)
      })
    ))

  it.live("a 429 rate_limit_exceeded is honoured (retry-after) and retried", () =>
    withLlm((server, llm) =>
      Effect.gen(function*() {
        yield* server.script({ _tag: "RateLimited", retryAfterSeconds: 1 }, { _tag: "RateLimited" })
        const result = yield* llm.extract(extractRequest)
        expect(result.value.company).toBe("Acme GmbH")
        expect(yield* completions(server)).toBe(3)
      })
    ))

  it.live("a 429 carries its retry-after on the error", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          yield* server.script({ _tag: "RateLimited", retryAfterSeconds: 7 })
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error.reason).toBe("RateLimited")
          expect(error.retryable).toBe(true)
          expect(error.retryAfter && Duration.toSeconds(error.retryAfter)).toBe(7)
          expect(error.requestId).toMatch(/^req_/)
        }),
      { adapter: { retry: { retries: 0 } } }
    ))

  it.live("retry-after-ms is read before retry-after", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          yield* server.script({ _tag: "RateLimited", retryAfterSeconds: 7, retryAfterMs: 1500, limit: "tokens" })
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error.reason).toBe("RateLimited")
          expect(error.retryAfter && Duration.toMillis(error.retryAfter)).toBe(1500)
        }),
      { adapter: { retry: { retries: 0 } } }
    ))

  it.live("an unknown model is a BadRequest (404 model_not_found) and is not retried", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error).toMatchObject({ reason: "BadRequest", status: 404 })
          expect(error.detail).toContain("does not exist")
          expect(yield* completions(server)).toBe(1)
        }),
      { server: { models: ["gpt-4o-mini"] }, adapter: { model: "gpt-nope" } }
    ))

  it.live("layerConfig reads OPENAI_API_KEY (redacted) and OPENAI_BASE_URL", () =>
    Effect.gen(function*() {
      const server = yield* FakeOpenAiServer.make({ apiKey })
      const provider = ConfigProvider.fromMap(new Map([["OPENAI_API_KEY", apiKey], ["OPENAI_BASE_URL", server.baseURL]]))
      const result = yield* Effect.flatMap(Llm.Llm, (llm) => llm.extract(extractRequest)).pipe(
        Effect.provide(LlmLive.layerConfig({ retry: { retries: 0 } }).pipe(Layer.provide(tokens(100_000)))),
        Effect.withConfigProvider(provider)
      )
      expect(result.value.company).toBe("Acme GmbH")
      const missing = yield* Effect.flip(Layer.build(LlmLive.layerConfig().pipe(Layer.provide(tokens(1)))).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      ))
      expect(String(missing)).toContain("OPENAI_API_KEY")
    }).pipe(Effect.scoped))

  it.live("the server's own request rate limit answers 429 and the retries get through", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          const results = yield* Effect.forEach([1, 2, 3], () => llm.extract(extractRequest), { concurrency: 3 })
          expect(results).toHaveLength(3)
          expect(yield* completions(server)).toBeGreaterThan(3)
        }),
      {
        server: { rateLimit: { limit: 1, interval: "300 millis" } },
        adapter: { retry: { ...fastRetry, retries: 10, maxRetryAfter: "310 millis" } }
      }
    ))

  it.live("5xx is retried, then given up as ServerError, and the reservation is released", () =>
    withLlm(
      (server, llm, budget) =>
        Effect.gen(function*() {
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error.reason).toBe("ServerError")
          expect(error.status).toBe(500)
          expect(yield* completions(server)).toBe(3)
          expect(yield* budget.usage(Llm.tokenBudget)).toMatchObject({ committed: 0, reserved: 0 })
        }),
      { server: { serverErrorRate: 1 } }
    ))

  it.live("a malformed body is a BadResponse and is not retried", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error.reason).toBe("BadResponse")
          expect(yield* completions(server)).toBe(1)
        }),
      { server: { malformedRate: 1 } }
    ))

  it.live("a wrong key is Unauthorized and not retried", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error.reason).toBe("Unauthorized")
          expect(error.status).toBe(401)
          expect(error.detail).toContain("Incorrect API key provided")
          expect(yield* completions(server)).toBe(1)
        }),
      { server: { apiKey: "sk-the-right-key-000000" } }
    ))

  it.live("insufficient_quota is OutOfCredits, and nothing more is sent or reserved", () =>
    withLlm((server, llm, budget) =>
      Effect.gen(function*() {
        yield* server.script({ _tag: "InsufficientQuota" })
        const first = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
        expect(first.reason).toBe("OutOfCredits")
        expect(first.retryable).toBe(false)
        const second = llmFailure(yield* Effect.exit(llm.extract({ ...extractRequest, text: "other text" })))
        expect(second.reason).toBe("OutOfCredits")
        expect(yield* completions(server)).toBe(1)
        expect(yield* budget.usage(Llm.tokenBudget)).toMatchObject({ committed: 0, reserved: 0 })
      })
    ))

  it.live("a token quota that runs out gives OutOfCredits", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          yield* llm.extract(extractRequest)
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect(error.reason).toBe("OutOfCredits")
          yield* Effect.exit(llm.extract(extractRequest))
          expect(yield* completions(server)).toBe(2)
          expect((yield* server.served).completions).toBe(1)
        }),
      { server: { tokenQuota: 50 } }
    ))

  it.live("a hung connection ends at the timeout and is not sent again: OpenAI may have billed it", () =>
    withLlm(
      (server, llm) =>
        Effect.gen(function*() {
          const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
          expect([error.reason, error.charged, error.retryable]).toEqual(["Timeout", true, false])
          expect(yield* completions(server)).toBe(1)
        }),
      { server: { hangRate: 1 }, adapter: { timeout: "250 millis" } }
    ))

  it.live("a refusal is Refused and a truncated answer is Truncated; their tokens are still counted", () =>
    withLlm((server, llm, budget) =>
      Effect.gen(function*() {
        yield* server.script({ _tag: "Refusal" }, { _tag: "Length" })
        expect(llmFailure(yield* Effect.exit(llm.extract(extractRequest))).reason).toBe("Refused")
        expect(llmFailure(yield* Effect.exit(llm.extract(extractRequest))).reason).toBe("Truncated")
        const tooSmall = llmFailure(yield* Effect.exit(llm.extract({ ...extractRequest, maxOutputTokens: 5 })))
        expect(tooSmall.reason).toBe("Truncated")
        const served = yield* server.served
        expect(served.completions).toBe(3)
        expect((yield* budget.usage(Llm.tokenBudget)).committed).toBe(served.totalTokens)
      })
    ))

  it.live("a Schema that strict mode cannot express is refused before any call", () =>
    withLlm((server, llm) =>
      Effect.gen(function*() {
        const error = llmFailure(
          yield* Effect.exit(llm.extract({
            ...extractRequest,
            schema: Schema.Struct({ scores: Schema.Record({ key: Schema.String, value: Schema.Number }) })
          }))
        )
        expect(error.reason).toBe("BadRequest")
        expect(error.detail).toContain("records")
        expect(yield* completions(server)).toBe(0)
      })
    ))

  it.live("the fake rejects a non-strict schema with OpenAI's 400", () =>
    Effect.gen(function*() {
      const server = yield* FakeOpenAiServer.make({ apiKey })
      const response = yield* HttpClient.execute(
        HttpClientRequest.post(`${server.baseURL}/chat/completions`).pipe(
          HttpClientRequest.bearerToken(apiKey),
          HttpClientRequest.bodyUnsafeJson({
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: "hi" }],
            response_format: {
              type: "json_schema",
              json_schema: {
                name: "loose",
                strict: true,
                schema: { type: "object", properties: { a: { type: "string" } }, required: [] }
              }
            }
          })
        )
      )
      expect(response.status).toBe(400)
      const body = (yield* response.json) as any
      expect(body.error.type).toBe("invalid_request_error")
      expect(body.error.message).toContain("Invalid schema for response_format 'loose'")
      expect(response.headers["x-request-id"]).toMatch(/^req_/)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("under concurrency the tokens served never exceed the budget's cap", () =>
    withLlm(
      (server, llm, budget) =>
        Effect.gen(function*() {
          const exits = yield* Effect.forEach(
            Array.from({ length: 24 }, (_, i) => i),
            (i) => Effect.exit(llm.extract({ ...extractRequest, text: `${page}\nbranch: ${i}` })),
            { concurrency: 12 }
          )
          const exhausted = exits.filter((e) => Exit.isFailure(e) && failureOf(e)._tag === "BudgetExhausted")
          expect(exhausted.length).toBeGreaterThan(0)
          const served = yield* server.served
          expect(served.completions).toBeGreaterThan(0)
          expect(served.totalTokens).toBeLessThanOrEqual(4_000)
          expect((yield* budget.usage(Llm.tokenBudget)).committed).toBe(served.totalTokens)
        }),
      { cap: 4_000, server: { latency: { min: "5 millis", max: "30 millis" } } }
    ))

  it.live("a rationale is paid for once per features, ICP rules version and model", () =>
    withLlm((server, llm) =>
      Effect.gen(function*() {
        const input = new Llm.RationaleInput({
          features: { domain: "acme.example", employees: 120, industry: "software", hiring: true },
          score: 82,
          icpRulesVersion: "v3"
        })
        const reordered = new Llm.RationaleInput({
          features: { hiring: true, industry: "software", employees: 120, domain: "acme.example" },
          score: 82,
          icpRulesVersion: "v3"
        })
        const all = yield* Effect.all([llm.rationale(input), llm.rationale(input), llm.rationale(reordered)], {
          concurrency: "unbounded"
        })
        expect((yield* server.served).completions).toBe(1)
        expect(all.filter((r) => !r.cached)).toHaveLength(1)
        expect(new Set(all.map((r) => r.cacheKey)).size).toBe(1)
        expect(all[0]!.cacheKey).toMatch(/^rationale:[0-9a-f]{64}$/)
        expect(all[1]!.summary).toBe(all[0]!.summary)
        const again = yield* llm.rationale(input)
        expect(again.cached).toBe(true)
        expect((yield* server.served).completions).toBe(1)
        const newRules = yield* llm.rationale(new Llm.RationaleInput({ ...input, icpRulesVersion: "v4" }))
        expect(newRules.cached).toBe(false)
        expect(newRules.cacheKey).not.toBe(all[0]!.cacheKey)
        expect((yield* server.served).completions).toBe(2)
      })
    ))

  it.live("a rationale asked for while the same one is being paid for waits for it, even if its cache read came back stale", () =>
    Effect.gen(function*() {
      // the cache read of the second caller sees the cache before the first
      // answer is stored, and comes back only once it has been stored
      const memory = yield* PaidResults.makeMemory
      const stale = yield* Deferred.make<void>()
      let reads = 0
      const slowReads: PaidResults.Service = {
        ...memory,
        getMany: (kind, keys) =>
          Effect.flatMap(memory.getMany(kind, keys), (found) => ++reads === 2 ? Effect.as(Deferred.await(stale), found) : Effect.succeed(found))
      }
      const server = yield* FakeOpenAiServer.make({ apiKey, latency: "150 millis" })
      const llm = yield* LlmLive.make({
        apiKey: Redacted.make(apiKey),
        baseURL: server.baseURL,
        timeout: "2 seconds",
        retry: fastRetry,
        rateLimit: undefined
      }).pipe(Effect.provideService(PaidResults.PaidResults, slowReads))
      const input = new Llm.RationaleInput({ features: { industry: "software", employees: 40 }, score: 70, icpRulesVersion: "v1" })
      const first = yield* Effect.fork(llm.rationale(input))
      yield* Effect.sleep("50 millis")
      const second = yield* Effect.fork(llm.rationale(input))
      yield* Effect.sleep("20 millis")
      const a = yield* Fiber.join(first)
      yield* Deferred.succeed(stale, undefined)
      const b = yield* Fiber.join(second)
      expect([a.cached, b.cached]).toEqual([false, true])
      expect(yield* completions(server)).toBe(1)
    }).pipe(Effect.provide(Budget.layerMemory({ [Llm.tokenBudget]: 1_000_000 })), Effect.scoped))

  it.live("a failed rationale is not cached", () =>
    withLlm((server, llm) =>
      Effect.gen(function*() {
        const input = new Llm.RationaleInput({ features: { domain: "acme.example" }, score: 40, icpRulesVersion: "v1" })
        yield* server.script({ _tag: "Refusal" })
        expect(llmFailure(yield* Effect.exit(llm.rationale(input))).reason).toBe("Refused")
        const second = yield* llm.rationale(input)
        expect(second.cached).toBe(false)
        expect((yield* server.served).completions).toBe(2)
      })
    ))

  it.live("failing calls leak the API key into no error message and no log", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const capture = Logger.make(({ cause, message }) => {
        logs.push(`${JSON.stringify(message)} ${Cause.pretty(cause)}`)
      })
      const texts: Array<string> = []
      const run = (server: FakeOpenAiServer.Options, adapter?: Partial<LlmLive.Options>) =>
        withLlm((_s, llm) =>
          Effect.gen(function*() {
            const error = llmFailure(yield* Effect.exit(llm.extract(extractRequest)))
            texts.push(error.message, String(error), JSON.stringify(error), Cause.pretty(Cause.fail(error)))
            yield* Effect.logError("llm call failed", error)
          }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture))), { server, ...(adapter ? { adapter } : {}) })
      yield* run({ apiKey: `${apiKey}-rotated` })
      yield* run({ script: [{ _tag: "InsufficientQuota" }] })
      yield* run({ serverErrorRate: 1 })
      yield* run({ malformedRate: 1 })
      yield* run({ hangRate: 1 }, { timeout: "50 millis", retry: { retries: 0 } })
      yield* run({}, { baseURL: "http://127.0.0.1:9/v1" })
      const captured = [...texts, ...logs].join("\n")
      expect(texts).toHaveLength(24)
      // one line per failed call, plus the latch's one line for the refused key and one for the spent quota
      expect(logs).toHaveLength(8)
      expect(logs.filter((line) => line.includes("OPENAI_API_KEY"))).toHaveLength(1)
      expect(captured).toContain("Unauthorized")
      expect(captured).not.toContain(apiKey)
    }))
})

describe("LlmFake.layer (in memory)", () => {
  it.effect("extracts the same way and draws from the budget", () =>
    Effect.gen(function*() {
      const llm = yield* Llm.Llm
      const result = yield* llm.extract(extractRequest)
      expect(result.value).toMatchObject({ company: "Acme GmbH", employees: 120, locations: ["Berlin", "Munich"] })
      const usage = yield* Budget.Budget.pipe(Effect.flatMap((b) => b.usage(Llm.tokenBudget)))
      expect(usage.committed).toBe(result.usage.totalTokens)
      const exhausted = failureOf(yield* Effect.exit(llm.extract({ ...extractRequest, maxOutputTokens: 10_000 })))
      expect(exhausted._tag).toBe("BudgetExhausted")
    }).pipe(Effect.provide(LlmFake.layer().pipe(Layer.provideMerge(tokens(5_000))))))
})
