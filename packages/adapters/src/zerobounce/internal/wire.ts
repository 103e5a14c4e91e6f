/**
 * ZeroBounce's wire schemas and their mapping to core's `Verdict`. Errors
 * arrive inside HTTP 200 bodies (`{"error": ...}`, batch `errors[]`), so the
 * response schemas are unions the adapter inspects.
 *
 * @internal
 */
import { ZeroBounce } from "@leadgraph/core"
import { Schema } from "effect"

/** One validation result as ZeroBounce sends it. @internal */
export const WireVerdict = Schema.Struct({
  address: Schema.String,
  status: ZeroBounce.Status,
  sub_status: Schema.String,
  free_email: Schema.Boolean,
  did_you_mean: Schema.NullOr(Schema.String),
  // A string on the wire ("true"/"false"); accept a boolean too.
  mx_found: Schema.Union(Schema.Literal("true", "false"), Schema.Boolean),
  processed_at: Schema.String
})

/** Decodes a verdict the fake data generator made (a defect if it does not match). @internal */
export const decodeVerdict = Schema.decodeUnknownSync(WireVerdict)

/** The single-validation answer: a verdict or an error. @internal */
export const SingleResponse = Schema.Union(Schema.Struct({ error: Schema.String }), WireVerdict)

/** The batch answer, or its missing-parameter message. @internal */
export const BatchResponse = Schema.Union(
  Schema.Struct({
    email_batch: Schema.Array(WireVerdict),
    errors: Schema.optionalWith(Schema.Array(Schema.Struct({ email_address: Schema.String, error: Schema.String })), {
      default: () => []
    })
  }),
  Schema.Struct({ Message: Schema.String })
)

/** `getcredits`: the balance as a string, `-1` for a bad key. @internal */
export const Credits = Schema.Struct({ Credits: Schema.NumberFromString })

/** The message of a non-2xx body (`error` or `Message`). @internal */
export const errorDetail = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  if ("error" in body && typeof body.error === "string") return body.error
  if ("Message" in body && typeof body.Message === "string") return body.Message
  return undefined
}

/** True for ZeroBounce's "invalid API key or out of credits" family of messages. @internal */
export const isKeyOrCredits = (message: string): boolean => /api key|credits/i.test(message)

/** A wire verdict as core's `Verdict`. @internal */
export const toVerdict = (wire: typeof WireVerdict.Type): ZeroBounce.Verdict =>
  new ZeroBounce.Verdict({
    email: ZeroBounce.normalizeEmail(wire.address),
    status: wire.status,
    subStatus: wire.sub_status,
    freeEmail: wire.free_email,
    didYouMean: wire.did_you_mean,
    mxFound: wire.mx_found === true || wire.mx_found === "true",
    processedAt: wire.processed_at
  })

/** A batch answer (without an `all` error) as verdicts and per-address rejections. @internal */
export const toBatch = (
  wire: { readonly email_batch: ReadonlyArray<typeof WireVerdict.Type>; readonly errors: ReadonlyArray<{ readonly email_address: string; readonly error: string }> }
): {
  readonly verdicts: ReadonlyArray<ZeroBounce.Verdict>
  readonly rejected: ReadonlyArray<{ readonly email: string; readonly error: string }>
} => ({
  verdicts: wire.email_batch.map(toVerdict),
  rejected: wire.errors.map((e) => ({ email: ZeroBounce.normalizeEmail(e.email_address), error: e.error }))
})
