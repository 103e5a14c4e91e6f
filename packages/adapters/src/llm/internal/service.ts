/**
 * The LLM port's logic over any way of running one chat completion (the
 * `openai` SDK in the live adapter, the fake model in `layerFake`):
 *
 * - extraction: the Schema's strict JSON schema as `response_format`, the
 *   answer parsed, optional `null`s dropped, decoded with the Schema;
 * - tokens: an estimate is reserved from the `"openai.tokens"` budget before
 *   the call (prompt characters / 3, plus the completion cap), the real
 *   `usage.total_tokens` committed after it; when no completion came back,
 *   core's charge policy decides: the estimate is committed when OpenAI may
 *   have billed the call (an unreadable 200, a time-out), released when it
 *   refused it;
 * - quota: after one `OutOfCredits`, every later call of this service
 *   (one run's, when the live adapter builds one per run) fails at once and
 *   nothing more is reserved or sent;
 * - paid answers are kept in core's `PaidResults` store (the tenant's, in
 *   Postgres when live) as soon as they arrive and read before paying:
 *   an extraction's completion under the SHA-256 of its request body
 *   (`openai.completion/v1`, for the run that paid, for `resultTtl`), a
 *   rationale under `rationale:<sha256(features, ICP rules version, model)>`
 *   (`openai.rationale/v1`, shared by every process and run of the tenant,
 *   for `rationaleTtl`). Only answers that were read successfully are kept
 *   (a refusal or a truncated answer is paid for again); concurrent
 *   rationales with the same key in one service (one run's) share one paid
 *   call.
 *
 * @internal
 */
import { Budget, Llm, PaidResults } from "@leadgraph/core"
import type { Duration } from "effect"
import { Deferred, Effect, Either, ParseResult, Ref, Schema } from "effect"
import { createHash } from "node:crypto"
import * as Strict from "./strict.js"
import * as Wire from "./wire.js"

/** The request body the service sends. @internal */
export interface RequestBody {
  readonly model: string
  readonly messages: ReadonlyArray<{ readonly role: "system" | "user"; readonly content: string }>
  readonly response_format: {
    readonly type: "json_schema"
    readonly json_schema: { readonly name: string; readonly schema: Strict.Node; readonly strict: true }
  }
  readonly max_completion_tokens: number
  readonly temperature: number
}

/** One completion, decoded, with the vendor's request id. @internal */
export interface Completed {
  readonly completion: Wire.ChatCompletion
  readonly requestId?: string | undefined
}

/** Runs one completion (with the transport's own timeout, rate limit and retries). @internal */
export type Complete = (body: RequestBody) => Effect.Effect<Completed, Llm.LlmError>

/** Service settings. @internal */
export interface Settings {
  readonly model: string
  readonly maxOutputTokens: number
  /** How long an extraction's completion is kept. */
  readonly resultTtl: Duration.DurationInput
  /** How long a rationale is kept. */
  readonly rationaleTtl: Duration.DurationInput
}

/** The names of the kinds of answers kept in `PaidResults`. @internal */
export const kinds = {
  completion: "openai.completion/v1",
  rationale: "openai.rationale/v1"
} as const

/** A completion as kept in `PaidResults`. @internal */
const KeptCompletion = Schema.Struct({ completion: Wire.ChatCompletion, requestId: Schema.optional(Schema.String) })

/** The key of an extraction: the SHA-256 of its request body. @internal */
export const requestKey = (body: RequestBody): string => createHash("sha256").update(JSON.stringify(body)).digest("hex")

/**
 * Tokens reserved for a request: an over-estimate of the prompt (3
 * characters a token, 4 per message, the schema's JSON) plus the completion
 * cap.
 *
 * @internal
 */
export const estimateTokens = (body: RequestBody): number =>
  Llm.estimateTokens({
    messages: body.messages.map((m) => m.content),
    schemaJson: JSON.stringify(body.response_format.json_schema.schema),
    maxOutputTokens: body.max_completion_tokens
  })

/** The rationale cache key of an input for a model. @internal */
export const rationaleKey = (input: Llm.RationaleInput, model: string): Llm.RationaleCacheKey =>
  `rationale:${createHash("sha256").update(Llm.rationaleCacheMaterial(input, model)).digest("hex")}`

const fail = (reason: Llm.LlmErrorReason, detail: string, requestId?: string) =>
  Effect.fail(new Llm.LlmError({ reason, detail, requestId }))

/**
 * The LLM service over `complete`, drawing from `budget` and keeping what
 * it paid for in `results`.
 *
 * @internal
 */
export const make = (
  complete: Complete,
  budget: Budget.Service,
  results: PaidResults.Service,
  settings: Settings
): Effect.Effect<Llm.Service> =>
  Effect.gen(function*() {
    const exhausted = yield* Ref.make<Llm.LlmError | undefined>(undefined)
    const completions = PaidResults.kind(kinds.completion, KeptCompletion, { ttl: settings.resultTtl })
    const rationales = PaidResults.kind(kinds.rationale, Llm.Rationale, { ttl: settings.rationaleTtl, scope: "shared" })
    // Rationales being paid for by this service, by key (removed when done): a
    // second caller waits for the first instead of paying too. Per service, so
    // per run: another tenant's run pays from its own budget into its own store.
    const inFlight = new Map<string, Deferred.Deferred<Llm.Rationale, Llm.LlmError | Budget.BudgetExhausted>>()

    /**
     * One paid completion, read by `read`, metered into the calling step's
     * draw (`Budget.metered`). The completion is read, kept (when the
     * reading succeeded) and its tokens counted in one uninterruptible
     * region as soon as it arrives; the tokens count even when the reading
     * fails (a refusal is paid for). A call that brought no
     * completion back is counted by core's charge policy: the tokens
     * reserved when OpenAI may have billed it (a truncated body without
     * `usage`, a time-out, an interruption after sending), nothing when it
     * refused it.
     */
    const paid = <A>(
      body: RequestBody,
      read: (completed: Completed) => Effect.Effect<A, Llm.LlmError>,
      keep: (completed: Completed, a: A) => Effect.Effect<void>
    ): Effect.Effect<A, Llm.LlmError | Budget.BudgetExhausted> => {
      const units = estimateTokens(body)
      return Effect.flatMap(Ref.get(exhausted), (spent) =>
        spent !== undefined ? Effect.fail(spent) : Budget.metered(
          Llm.tokenBudget,
          complete(body).pipe(
            Effect.tapError((e) => (e.reason === "OutOfCredits" ? Ref.set(exhausted, e) : Effect.void)),
            Effect.flatMap((completed) => Effect.map(Effect.either(read(completed)), (read) => ({ completed, read })))
          ),
          {
            units,
            used: ({ completed }) => completed.completion.usage.total_tokens,
            keep: ({ completed, read }) => Either.isRight(read) ? keep(completed, read.right) : Effect.void
          }
        ).pipe(Effect.provideService(Budget.Budget, budget), Effect.flatMap(({ read }) => read)))
    }

    /** The body of an extraction, and how to read its completion. */
    const prepare = <A, I>(request: Llm.ExtractRequest<A, I>) =>
      Effect.gen(function*() {
        const strict = Strict.make(request.schema)
        if (strict._tag === "Left") {
          return yield* fail("BadRequest", `the schema cannot be a strict structured output: ${strict.left}`)
        }
        if (!/^[a-zA-Z0-9_-]{1,64}$/.test(request.name)) {
          return yield* fail("BadRequest", `invalid structured output name "${request.name}": use [a-zA-Z0-9_-], at most 64`)
        }
        const body: RequestBody = {
          model: settings.model,
          messages: [{ role: "system", content: request.instructions }, { role: "user", content: request.text }],
          response_format: { type: "json_schema", json_schema: { name: request.name, schema: strict.right.strict, strict: true } },
          max_completion_tokens: request.maxOutputTokens ?? settings.maxOutputTokens,
          temperature: 0
        }
        const read = ({ completion, requestId }: Completed) =>
          Effect.gen(function*() {
            const choice = completion.choices[0]
            if (choice.message.refusal) return yield* fail("Refused", choice.message.refusal, requestId)
            if (choice.finish_reason === "length") {
              return yield* fail("Truncated", `the answer hit the limit of ${body.max_completion_tokens} tokens`, requestId)
            }
            if (choice.message.content === null) return yield* fail("BadResponse", "the answer has no content", requestId)
            const parsed = yield* Effect.try({
              try: () => JSON.parse(choice.message.content!) as unknown,
              catch: () => new Llm.LlmError({ reason: "BadResponse", detail: "the answer is not JSON", requestId })
            })
            const value = yield* Schema.decodeUnknown(request.schema)(Strict.dropOptionalNulls(parsed, strict.right.original)).pipe(
              Effect.mapError((e) =>
                new Llm.LlmError({
                  reason: "BadResponse",
                  detail: `the answer does not match the schema: ${ParseResult.TreeFormatter.formatErrorSync(e)}`,
                  requestId
                })
              )
            )
            const usage = new Llm.Usage({
              promptTokens: completion.usage.prompt_tokens,
              completionTokens: completion.usage.completion_tokens,
              totalTokens: completion.usage.total_tokens
            })
            return { value, usage, model: completion.model } satisfies Llm.Extracted<A>
          })
        return { body, read }
      })

    const extract = <A, I>(request: Llm.ExtractRequest<A, I>) =>
      Effect.gen(function*() {
        const { body, read } = yield* prepare(request)
        const key = requestKey(body)
        const kept = (yield* PaidResults.lookup(results, completions, [key])).get(key)
        // A kept completion was read successfully when it was paid for; should it
        // no longer read (a changed Schema), it is paid for again.
        const reused = kept === undefined ? undefined : yield* Effect.option(read(kept))
        if (reused !== undefined && reused._tag === "Some") return reused.value
        return yield* paid(body, read, (completed) => PaidResults.keep(results, completions, [[key, completed]]))
      }).pipe(Effect.withSpan("Llm.extract", { attributes: { name: request.name, model: settings.model } }))

    const produce = (input: Llm.RationaleInput, cacheKey: string) =>
      Effect.gen(function*() {
        const { body, read } = yield* prepare(Llm.rationaleRequest(input))
        return yield* paid(
          body,
          (completed) => Effect.map(read(completed), ({ value }) => new Llm.Rationale({ ...value, cacheKey, cached: false })),
          (_, rationale) => PaidResults.keep(results, rationales, [[cacheKey, rationale]])
        )
      })

    // @effect-diagnostics-next-line effectFnOpportunity:off -- kept as a plain function returning an Effect, like its neighbours
    const rationale = (input: Llm.RationaleInput) =>
      Effect.gen(function*() {
        const key = rationaleKey(input, settings.model)
        // claimed before the cache is read: a fiber that read the cache while
        // another's call was storing its answer would otherwise pay again
        const cachedOrProduce = Effect.flatMap(PaidResults.lookup(results, rationales, [key]), (found) => {
          const kept = found.get(key)
          return kept !== undefined ? Effect.succeed(new Llm.Rationale({ ...kept, cached: true })) : produce(input, key)
        })
        return yield* Effect.uninterruptibleMask((restore) =>
          Effect.gen(function*() {
            const mine = yield* Deferred.make<Llm.Rationale, Llm.LlmError | Budget.BudgetExhausted>()
            // Check and claim in one synchronous step, so two fibers never both pay.
            const owner = yield* Effect.sync(() => {
              const existing = inFlight.get(key)
              if (existing !== undefined) return existing
              inFlight.set(key, mine)
              return mine
            })
            if (owner !== mine) {
              return yield* restore(Deferred.await(owner)).pipe(
                Effect.map((r) => new Llm.Rationale({ ...r, cached: true }))
              )
            }
            const exit = yield* Effect.exit(restore(cachedOrProduce))
            yield* Effect.sync(() => inFlight.delete(key))
            yield* Deferred.done(mine, exit)
            return yield* exit
          })
        )
      }).pipe(Effect.withSpan("Llm.rationale", { attributes: { model: settings.model } }))

    return { extract, rationale } satisfies Llm.Service
  })
