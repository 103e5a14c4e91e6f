/**
 * Enrichment runs as the store records them: the manifest a run starts with
 * (its selection and caps), the outcome of each company, per-step timings
 * and counts, and the summary it finishes with.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { CompanyId } from "./Company.js"
import { TenantId } from "./Tenant.js"

/**
 * A run's id, chosen by the runner (a re-run of the same id resumes from its
 * checkpoints).
 *
 * @since 0.1.0
 * @category models
 */
export const RunId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128), Schema.brand("RunId"))

/**
 * @since 0.1.0
 * @category models
 */
export type RunId = typeof RunId.Type

/**
 * A run's status.
 *
 * @since 0.1.0
 * @category models
 */
export const RunStatus = Schema.Literal("running", "succeeded", "partial", "failed", "cancelled")

/**
 * @since 0.1.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * What a run was asked to do: the selected companies, the selection options
 * and the budget caps in force.
 *
 * @since 0.1.0
 * @category models
 */
export const RunManifest = Schema.Struct({
  runId: RunId,
  runDay: Schema.String,
  rerun: Schema.Boolean,
  cap: Schema.Int,
  companyIds: Schema.Array(CompanyId),
  caps: Schema.Record({ key: Schema.String, value: Schema.Number })
})

/**
 * @since 0.1.0
 * @category models
 */
export type RunManifest = typeof RunManifest.Type

/**
 * Timings and counts of one step over a run.
 *
 * @since 0.1.0
 * @category models
 */
export const StepStats = Schema.Struct({
  succeeded: Schema.NonNegativeInt,
  skipped: Schema.NonNegativeInt,
  failed: Schema.NonNegativeInt,
  totalMillis: Schema.NonNegative,
  maxMillis: Schema.NonNegative
})

/**
 * @since 0.1.0
 * @category models
 */
export type StepStats = typeof StepStats.Type

/**
 * How one step ended for one company.
 *
 * @since 0.1.0
 * @category models
 */
export const StepOutcome = Schema.Struct({
  status: Schema.Literal("succeeded", "skipped", "failed"),
  millis: Schema.NonNegative,
  reason: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** The paid vendor calls the step made (absent: none, or recorded before calls were counted). */
  calls: Schema.optional(Schema.NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category models
 */
export type StepOutcome = typeof StepOutcome.Type

/**
 * How one company ended in a run. A `succeeded` or `partial` outcome marks
 * the company enriched at `finishedAt`.
 *
 * @since 0.1.0
 * @category models
 */
export const CompanyOutcome = Schema.Struct({
  companyId: CompanyId,
  status: Schema.Literal("succeeded", "partial", "failed", "skipped"),
  steps: Schema.Record({ key: Schema.String, value: StepOutcome }),
  finishedAt: Schema.DateFromSelf,
  /** The lead score the run gave the company (absent: not scored, or recorded before scores were kept here). */
  score: Schema.optional(Schema.Number.pipe(Schema.between(0, 100)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type CompanyOutcome = typeof CompanyOutcome.Type

/**
 * What a run finishes with.
 *
 * @since 0.1.0
 * @category models
 */
export const RunSummary = Schema.Struct({
  status: Schema.Literal("succeeded", "partial", "failed", "cancelled"),
  finishedAt: Schema.DateFromSelf,
  steps: Schema.Record({ key: Schema.String, value: StepStats }),
  errorSummary: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** Units this attempt's draws committed, by budget; added to what earlier attempts of the run spent. */
  spend: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NonNegative }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type RunSummary = typeof RunSummary.Type

/**
 * A stored run.
 *
 * @since 0.1.0
 * @category models
 */
export const Run = Schema.Struct({
  id: RunId,
  tenantId: TenantId,
  status: RunStatus,
  startedAt: Schema.DateFromSelf,
  finishedAt: Schema.NullOr(Schema.DateFromSelf),
  manifest: RunManifest,
  steps: Schema.Record({ key: Schema.String, value: StepStats }),
  counts: Schema.Record({ key: Schema.String, value: Schema.NonNegativeInt }),
  errorSummary: Schema.NullOr(Schema.String),
  /** Units the run's draws committed, by budget; `null` for a run not finished or recorded before spend was (migration 14). */
  spend: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.NonNegative })))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Run = typeof Run.Type
