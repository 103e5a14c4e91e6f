/**
 * Ideal customer profile rules: what a tenant looks for, by name. Scoring
 * reads the active rules; the store keeps them per tenant.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { FeatureValue } from "./Features.js"

/**
 * An ICP rule: named criteria over features (for example
 * `{ industry: ["software"], employees_min: 50 }`) and a weight.
 *
 * @since 0.1.0
 * @category models
 */
export const IcpRule = Schema.Struct({
  name: Schema.NonEmptyTrimmedString,
  criteria: Schema.Record({ key: Schema.String, value: FeatureValue }),
  weight: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 100)), { default: () => 1 }),
  active: Schema.optionalWith(Schema.Boolean, { default: () => true })
})

/**
 * @since 0.1.0
 * @category models
 */
export type IcpRule = typeof IcpRule.Type

/**
 * A numbered version of a tenant's rules: each `icp set` of changed rules
 * makes the next one (1, 2, 3, ...), which becomes the active set.
 *
 * @since 0.1.0
 * @category models
 */
export interface RulesVersion {
  readonly version: number
  readonly setAt: Date
  readonly rules: ReadonlyArray<IcpRule>
}
