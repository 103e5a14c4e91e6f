/**
 * Lead scores: a company's latest score against its tenant's ideal customer
 * profile (0 to 100), and the row the export reads.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CompanyId, Domain } from "./Company.js"

/**
 * A score between 0 and 100.
 *
 * @since 0.1.0
 * @category models
 */
export const ScoreValue = Schema.Number.pipe(Schema.between(0, 100), Schema.brand("ScoreValue"))

/**
 * @since 0.1.0
 * @category models
 */
export type ScoreValue = typeof ScoreValue.Type

/**
 * A company's score. The store keeps the latest per company (upserts with
 * an older `scoredAt` are ignored); run history lives in the run records.
 *
 * @since 0.1.0
 * @category models
 */
export const LeadScore = Schema.Struct({
  companyId: CompanyId,
  score: ScoreValue,
  bucket: Schema.Literal("high", "medium", "low"),
  rationale: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  runId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  scoredAt: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type LeadScore = typeof LeadScore.Type

/**
 * One row of the score export: a company with its latest score.
 *
 * @since 0.1.0
 * @category models
 */
export const ScoredLead = Schema.Struct({
  companyId: CompanyId,
  name: Schema.String,
  domain: Domain,
  website: Schema.NullOr(Schema.String),
  score: ScoreValue,
  bucket: Schema.Literal("high", "medium", "low"),
  rationale: Schema.NullOr(Schema.String),
  scoredAt: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type ScoredLead = typeof ScoredLead.Type
