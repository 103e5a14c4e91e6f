/**
 * Lead features: what enrichment learned about a company, as named values
 * that scoring reads. One row per tenant and company.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CompanyId } from "./Company.js"

/**
 * One feature value.
 *
 * @since 0.1.0
 * @category models
 */
export const FeatureValue = Schema.Union(
  Schema.String,
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
  Schema.Array(Schema.String)
)

/**
 * @since 0.1.0
 * @category models
 */
export type FeatureValue = typeof FeatureValue.Type

/**
 * A company's features (replaced as a whole on upsert).
 *
 * @since 0.1.0
 * @category models
 */
export const LeadFeatures = Schema.Struct({
  companyId: CompanyId,
  features: Schema.Record({ key: Schema.String, value: FeatureValue })
})

/**
 * @since 0.1.0
 * @category models
 */
export type LeadFeatures = typeof LeadFeatures.Type
