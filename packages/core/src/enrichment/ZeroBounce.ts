/**
 * The ZeroBounce port: email verification, one address (`verify`) or many
 * (`verifyMany`: up to {@link singleVerificationLimit} uncached addresses one
 * by one, more in batches). Adapters consult the
 * `VerificationCache` first and pay only for
 * addresses it does not hold; each paid batch reserves units of the
 * `"zerobounce.verifications"` budget (see {@link budget}) and commits only
 * the results that are not `unknown` (ZeroBounce does not charge for those,
 * and they are not cached).
 *
 * ZeroBounce reports most errors inside HTTP 200 answers; adapters map them
 * to the same reasons as HTTP errors.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { BudgetExhausted } from "../engine/Budget.js"
import * as VendorError from "./VendorError.js"

/**
 * The name of the budget verifications draw from (one unit per address
 * verified, `unknown` results free), capped by `ZEROBOUNCE_MAX_VERIFICATIONS`.
 *
 * @since 0.1.0
 * @category constants
 */
export const budget = "zerobounce.verifications"

/**
 * The one error of the ZeroBounce port.
 *
 * @since 0.1.0
 * @category errors
 */
export class ZeroBounceError extends Schema.TaggedError<ZeroBounceError>()("ZeroBounceError", VendorError.fields) {
  /**
   * Rate limits, server errors, time-outs and transport failures are worth
   * retrying, unless the attempt may have been billed (see
   * `VendorError.isRetryable`).
   */
  get retryable(): boolean {
    return VendorError.isRetryable(this)
  }

  /** The stable failure code, e.g. `zerobounce.Unauthorized(401): ...` (see `VendorError.code`). */
  get code(): string {
    return VendorError.code("zerobounce", this)
  }

  override get message(): string {
    return VendorError.message("ZeroBounce", this)
  }
}

/**
 * ZeroBounce's verdict on an address.
 *
 * @since 0.1.0
 * @category models
 */
export const Status = Schema.Literal("valid", "invalid", "catch-all", "unknown", "spamtrap", "abuse", "do_not_mail")

/**
 * @since 0.1.0
 * @category models
 */
export type Status = typeof Status.Type

/**
 * The verification of one address. `email` is normalised (trimmed, lower
 * case); `subStatus` is `""` when ZeroBounce gives none; `processedAt` is
 * ZeroBounce's UTC timestamp (`YYYY-MM-DD HH:MM:SS.fff`).
 *
 * @since 0.1.0
 * @category models
 */
export class Verdict extends Schema.Class<Verdict>("@leadgraph/core/ZeroBounce/Verdict")({
  email: Schema.String,
  status: Status,
  subStatus: Schema.String,
  freeEmail: Schema.Boolean,
  didYouMean: Schema.NullOr(Schema.String),
  mxFound: Schema.Boolean,
  processedAt: Schema.String
}) {}

/**
 * `verifyMany` verifies up to this many uncached addresses one by one, under
 * one budget reservation, and more in batches. ZeroBounce allows 80,000
 * single validations per 10 seconds but only 5 batch calls a minute, so a
 * batch per company would make a nightly run of 1,000 companies take over
 * three hours.
 *
 * @since 0.1.0
 * @category constants
 */
export const singleVerificationLimit = 20

/**
 * The outcome of `verifyMany`: a verdict per address ZeroBounce (or the
 * cache) answered for, and the addresses ZeroBounce refused one by one
 * (malformed, for instance) with its reason.
 *
 * @since 0.1.0
 * @category models
 */
export class Verification extends Schema.Class<Verification>("@leadgraph/core/ZeroBounce/Verification")({
  verdicts: Schema.Array(Verdict),
  rejected: Schema.Array(Schema.Struct({ email: Schema.String, error: Schema.String }))
}) {}

/**
 * The ZeroBounce service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Verifies one address (cache first). */
  readonly verify: (email: string) => Effect.Effect<Verdict, ZeroBounceError | BudgetExhausted>
  /**
   * Verifies many addresses: cache first; the rest one by one (up to
   * {@link singleVerificationLimit}) or in batches with bounded concurrency.
   */
  readonly verifyMany: (emails: ReadonlyArray<string>) => Effect.Effect<Verification, ZeroBounceError | BudgetExhausted>
  /** The account's remaining credits (free to ask). */
  readonly credits: Effect.Effect<number, ZeroBounceError>
}

/**
 * The ZeroBounce service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class ZeroBounce extends Context.Tag("@leadgraph/core/ZeroBounce")<ZeroBounce, Service>() {}

/**
 * The cache key of an address: trimmed, lower case.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase()
