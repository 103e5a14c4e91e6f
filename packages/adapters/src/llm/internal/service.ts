/**
 * The LLM port's logic over any way of running one chat completion (the
 * `openai` SDK in the live adapter, the fake model in `layerFake`):
 *
 * - extraction: the Schema's strict JSON schema as `response_format`, the
 *   answer parsed, optional `null`s dropped, decoded with the Schema;
 * - tokens: an estimate is reserved from the `"openai.tokens"` budget before
 *   the call (prompt characters / 3, plus the completion cap), the real
 *   `usage.total_tokens` committed after it, the reservation released if no
 *   completion came back (a retried call is paid for once);
 * - quota: after one `OutOfCredits`, every later call fails at once and
 *   nothing more is reserved or sent;
 * - rationale cache: answers are kept in memory under
 *   `rationale:<sha256(features, ICP rules version, model)>`; concurrent calls
 *   with the same key share one paid call; failures are not cached. The key
 *   is returned with the rationale so the engine's step cache
 *   (`Checkpoint.saveCached`) can keep it across processes.
 *
 * @internal
 */
import { Budget, Llm } from "@leadgraph/core"
import { Deferred, Effect, Exit, ParseResult, Ref, Schema } from "effect"
import { createHash } from "node:crypto"
import * as Strict from "./strict.js"
import type * as Wire from "./wire.js"

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
  readonly cacheCapacity: number
}

/**
 * Tokens reserved for a request: an over-estimate of the prompt (3
 * characters a token, 4 per message, the schema's JSON) plus the completion
 * cap.
 *
 * @internal
 */
export const estimateTokens = (body: RequestBody): number =>
  3 +
  body.messages.reduce((n, m) => n + 4 + Math.ceil(m.content.length / 3), 0) +
  Math.ceil(JSON.stringify(body.response_format.json_schema.schema).length / 3) +
  body.max_completion_tokens

/** The rationale cache key of an input for a model. @internal */
export const rationaleKey = (input: Llm.RationaleInput, model: string): Llm.RationaleCacheKey =>
  `rationale:${createHash("sha256").update(Llm.rationaleCacheMaterial(input, model)).digest("hex")}`

const RationaleBody = Schema.Struct({
  summary: Schema.String.annotations({ description: "Two or three sentences on why the lead got this score" }),
  strengths: Schema.Array(Schema.String).annotations({ description: "What fits the ideal customer profile" }),
  concerns: Schema.Array(Schema.String).annotations({ description: "What does not fit, or is unknown" })
})

const rationaleInstructions =
  "You explain B2B lead scores. Given a company's features, its score (0-100) and the ICP rules version, " +
  "write a short summary, the strengths and the concerns. Use only the facts given."

const fail = (reason: Llm.LlmErrorReason, detail: string, requestId?: string) =>
  Effect.fail(new Llm.LlmError({ reason, detail, requestId }))

/**
 * The LLM service over `complete`, drawing from `budget`.
 *
 * @internal
 */
export const make = (complete: Complete, budget: Budget.Service, settings: Settings): Effect.Effect<Llm.Service> =>
  Effect.gen(function*() {
    const exhausted = yield* Ref.make<Llm.LlmError | undefined>(undefined)
    const cache = new Map<string, Deferred.Deferred<Llm.Rationale, Llm.LlmError | Budget.BudgetExhausted>>()

    const paid = (body: RequestBody) =>
      Effect.flatMap(Ref.get(exhausted), (spent) =>
        spent !== undefined
          ? Effect.fail(spent)
          : Effect.acquireUseRelease(
            budget.reserve(Llm.tokenBudget, estimateTokens(body)),
            () =>
              complete(body).pipe(
                Effect.tapError((e) => (e.reason === "OutOfCredits" ? Ref.set(exhausted, e) : Effect.void))
              ),
            (reservation, exit) =>
              Exit.isSuccess(exit)
                ? budget.commit(reservation, exit.value.completion.usage.total_tokens)
                : budget.release(reservation)
          ))

    const extract = <A, I>(request: Llm.ExtractRequest<A, I>) =>
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
        const { completion, requestId } = yield* paid(body)
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
      }).pipe(Effect.withSpan("Llm.extract", { attributes: { name: request.name, model: settings.model } }))

    const produce = (input: Llm.RationaleInput, cacheKey: string) =>
      extract({
        schema: RationaleBody,
        name: "lead_score_rationale",
        instructions: rationaleInstructions,
        text: [
          `score: ${input.score}`,
          `icp rules version: ${input.icpRulesVersion}`,
          "features:",
          ...Object.keys(input.features).sort().map((k) => `${k}: ${JSON.stringify(input.features[k])}`)
        ].join("\n")
      }).pipe(Effect.map(({ value }) => new Llm.Rationale({ ...value, cacheKey, cached: false })))

    const rationale = (input: Llm.RationaleInput) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const key = rationaleKey(input, settings.model)
          const mine = yield* Deferred.make<Llm.Rationale, Llm.LlmError | Budget.BudgetExhausted>()
          // Check and claim in one synchronous step, so two fibers never both pay.
          const owner = yield* Effect.sync(() => {
            const existing = cache.get(key)
            if (existing !== undefined) return existing
            if (cache.size >= settings.cacheCapacity) cache.delete(cache.keys().next().value!)
            cache.set(key, mine)
            return mine
          })
          if (owner !== mine) {
            return yield* restore(Deferred.await(owner)).pipe(
              Effect.map((r) => new Llm.Rationale({ ...r, cached: true }))
            )
          }
          const exit = yield* Effect.exit(restore(produce(input, key)))
          if (Exit.isFailure(exit)) yield* Effect.sync(() => cache.delete(key))
          yield* Deferred.done(mine, exit)
          return yield* exit
        })
      ).pipe(Effect.withSpan("Llm.rationale", { attributes: { model: settings.model } }))

    return { extract, rationale } satisfies Llm.Service
  })
