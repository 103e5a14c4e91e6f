/**
 * The LLM port: structured extraction into a Schema-typed value, and a short
 * rationale for a lead's score.
 *
 * - `extract` turns the caller's Schema into a strict JSON-schema structured
 *   output, sends the text, and decodes the answer with the same Schema.
 * - `rationale` is cached by {@link rationaleCacheMaterial} (features, ICP rules
 *   version and model), so the same input is never paid for twice.
 *
 * Paid calls draw tokens from the core Budget under {@link tokenBudget}, so
 * both methods can fail with {@link Budget.BudgetExhausted}.
 *
 * @since 0.1.0
 */
import { Context, Duration, JSONSchema, Schema } from "effect"
import type { Effect } from "effect"
import type * as Budget from "../engine/Budget.js"
import * as Features from "./Features.js"
import { canonical } from "./internal/hash.js"
import * as VendorError from "./VendorError.js"

/**
 * The budget name LLM tokens are drawn from.
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenBudget = "openai.tokens"

/**
 * Why an LLM call failed: the shared vendor reasons (see
 * {@link VendorError.Reason}; 429 `insufficient_quota` is `OutOfCredits`,
 * 429 `rate_limit_exceeded` is `RateLimited`, a content that does not match
 * the Schema is `BadResponse`) plus two of the LLM's own, neither retried:
 *
 * - `Refused`: the model refused (`message.refusal`).
 * - `Truncated`: `finish_reason: "length"`, so the JSON is incomplete.
 *
 * @since 0.1.0
 * @category models
 */
export const LlmErrorReason = Schema.Literal(...VendorError.Reason.literals, "Refused", "Truncated")

/**
 * The reason literal type of {@link LlmError}.
 *
 * @since 0.1.0
 * @category models
 */
export type LlmErrorReason = typeof LlmErrorReason.Type

/**
 * The one error of the LLM port. `detail` is a short, secret-free
 * description; `requestId` is the vendor's `x-request-id` when known.
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmError extends Schema.TaggedError<LlmError>()("LlmError", {
  ...VendorError.fields,
  reason: LlmErrorReason,
  requestId: Schema.optional(Schema.String)
}) {
  /**
   * Rate limits, server errors, time-outs and transport failures are worth
   * retrying, unless the attempt may have been billed (see
   * `VendorError.isRetryable`); refusals and truncations never are.
   */
  get retryable(): boolean {
    return this.reason !== "Refused" && this.reason !== "Truncated" && VendorError.isRetryable(this)
  }

  /** The stable failure code, e.g. `openai.Unauthorized(401): ...` (see `VendorError.code`). */
  get code(): string {
    return VendorError.code("openai", this)
  }

  override get message(): string {
    const facts = [
      this.status === undefined ? undefined : `HTTP ${this.status}`,
      this.retryAfter === undefined ? undefined : `retry after ${Duration.format(this.retryAfter)}`
    ].filter((s): s is string => s !== undefined)
    const head = facts.length === 0 ? `LLM ${this.reason}` : `LLM ${this.reason} (${facts.join(", ")})`
    const base = this.detail === undefined || this.detail === "" ? head : `${head}: ${this.detail}`
    return this.requestId === undefined ? base : `${base} [request ${this.requestId}]`
  }
}

/**
 * Tokens one call used, as the vendor reported them.
 *
 * @since 0.1.0
 * @category models
 */
export class Usage extends Schema.Class<Usage>("@leadgraph/core/Llm/Usage")({
  promptTokens: Schema.NonNegativeInt,
  completionTokens: Schema.NonNegativeInt,
  totalTokens: Schema.NonNegativeInt
}) {}

/**
 * An extraction request. `schema` describes the wanted value; its encoded
 * side must be JSON (a struct at the root). Optional fields are sent as
 * nullable and a `null` answer is read as absent.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExtractRequest<A, I> {
  /** The result's Schema (R = never). */
  readonly schema: Schema.Schema<A, I>
  /** The structured output's name: `[a-zA-Z0-9_-]`, at most 64 characters. */
  readonly name: string
  /** What to extract (the system message). */
  readonly instructions: string
  /** The text to extract from (the user message). */
  readonly text: string
  /** A cap on completion tokens (default: the adapter's). */
  readonly maxOutputTokens?: number | undefined
}

/**
 * An extracted value with the tokens it cost.
 *
 * @since 0.1.0
 * @category models
 */
export interface Extracted<A> {
  readonly value: A
  readonly usage: Usage
  readonly model: string
}

/**
 * The input of a score rationale: the lead's features (feature values, the
 * company's name or domain among them), its score and the version of the
 * ICP rules that produced it.
 *
 * @since 0.1.0
 * @category models
 */
export class RationaleInput extends Schema.Class<RationaleInput>("@leadgraph/core/Llm/RationaleInput")({
  features: Schema.Record({ key: Schema.String, value: Features.FeatureValue }),
  score: Schema.Number,
  icpRulesVersion: Schema.String
}) {}

/**
 * A score rationale. `cacheKey` is the key it was (or would have been)
 * cached under; `cached` is true when no call was paid for.
 *
 * @since 0.1.0
 * @category models
 */
export class Rationale extends Schema.Class<Rationale>("@leadgraph/core/Llm/Rationale")({
  summary: Schema.String,
  strengths: Schema.Array(Schema.String),
  concerns: Schema.Array(Schema.String),
  cacheKey: Schema.String,
  cached: Schema.Boolean
}) {}

/**
 * The LLM service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Extracts a Schema-typed value from text through a strict structured output. */
  readonly extract: <A, I>(
    request: ExtractRequest<A, I>
  ) => Effect.Effect<Extracted<A>, LlmError | Budget.BudgetExhausted>
  /** Explains a score; the same input (see {@link rationaleCacheMaterial}) is paid for once. */
  readonly rationale: (input: RationaleInput) => Effect.Effect<Rationale, LlmError | Budget.BudgetExhausted>
}

/**
 * The LLM port tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Llm extends Context.Tag("@leadgraph/core/Llm")<Llm, Service>() {}

/**
 * The material a rationale's cache key is hashed from: the features in a
 * canonical (key-sorted) JSON form, the ICP rules version and the model. The
 * score is derived from the features and the rules, so it is left out on
 * purpose. Adapters hash this string (SHA-256).
 *
 * @since 0.1.0
 * @category utils
 */
export const rationaleCacheMaterial = (input: RationaleInput, model: string): string =>
  JSON.stringify(["rationale/v1", canonical(input.features), input.icpRulesVersion, model])

/**
 * A rationale's cache key as the adapters compute it: `rationale:` plus the
 * hex SHA-256 of {@link rationaleCacheMaterial}. Given as a type so callers
 * know its shape.
 *
 * @since 0.1.0
 * @category models
 */
export type RationaleCacheKey = `rationale:${string}`

/**
 * Completion tokens a call may use when the request does not say.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxOutputTokens = 1024

/**
 * The tokens a request may cost at most, drawn before it is sent: its
 * messages at about three characters a token, its JSON schema, and all the
 * completion tokens it allows. The one estimate adapters and the
 * pipeline's steps draw by.
 *
 * @since 0.1.0
 * @category budgets
 */
export const estimateTokens = (request: {
  readonly messages: ReadonlyArray<string>
  /** The response format's JSON schema, as JSON text. */
  readonly schemaJson?: string | undefined
  readonly maxOutputTokens: number
}): number =>
  3 +
  request.messages.reduce((n, m) => n + 4 + Math.ceil(m.length / 3), 0) +
  Math.ceil((request.schemaJson?.length ?? 0) / 3) +
  request.maxOutputTokens

/**
 * What an {@link ExtractRequest} may cost at most ({@link estimateTokens}).
 *
 * @since 0.1.0
 * @category budgets
 */
export const extractTokens = <A, I>(request: ExtractRequest<A, I>): number => {
  let schema = schemaJson.get(request.schema)
  if (schema === undefined) {
    schema = JSON.stringify(JSONSchema.make(request.schema))
    schemaJson.set(request.schema, schema)
  }
  return estimateTokens({
    messages: [request.instructions, request.text],
    schemaJson: schema,
    maxOutputTokens: request.maxOutputTokens ?? defaultMaxOutputTokens
  })
}

/** The JSON schema text of each Schema an estimate has seen (a step estimates every company). */
const schemaJson = new WeakMap<object, string>()

/**
 * The structured answer a rationale is written as.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RationaleAnswer = Schema.Struct({
  summary: Schema.String.annotations({ description: "Two or three sentences on why the lead got this score" }),
  strengths: Schema.Array(Schema.String).annotations({ description: "What fits the ideal customer profile" }),
  concerns: Schema.Array(Schema.String).annotations({ description: "What does not fit, or is unknown" })
})

/**
 * The request a rationale is written from: its instructions and the text
 * listing the score, the rules version and the features.
 *
 * @since 0.1.0
 * @category utils
 */
export const rationaleRequest = (input: RationaleInput): ExtractRequest<typeof RationaleAnswer.Type, typeof RationaleAnswer.Encoded> => ({
  schema: RationaleAnswer,
  name: "lead_score_rationale",
  instructions: "You explain B2B lead scores. Given a company's features, its score (0-100) and the ICP rules version, " +
    "write a short summary, the strengths and the concerns. Use only the facts given.",
  text: [
    `score: ${input.score}`,
    `icp rules version: ${input.icpRulesVersion}`,
    "features:",
    ...Object.keys(input.features).sort().map((k) => `${k}: ${JSON.stringify(input.features[k])}`)
  ].join("\n")
})
