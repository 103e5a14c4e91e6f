/**
 * Readable validation messages for the HTTP API. A request that does not
 * match an endpoint's schemas fails, in `@effect/platform`'s `HttpApi`,
 * with an `HttpApiDecodeError` whose message is the schema's own tree of
 * internals; {@link layer} rewrites such an error before it is answered
 * (a 400) so that its
 * `message` says, field by field, what was expected
 * (`min_score must be a number from 0 to 100`, `tenant: is missing`,
 * `bogus: is not a known field`), and each of its `issues` likewise.
 *
 * @since 0.1.0
 */
import { HttpApiBuilder, HttpApiError } from "@effect/platform"
import { Invalid } from "@leadgraph/core"
import { Cause, Effect } from "effect"

interface Issue {
  readonly _tag: string
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const expectedPattern = /^Expected (.+), actual (.+)$/s

/**
 * One issue of a decode error as a line for people.
 *
 * @since 0.1.0
 * @category helpers
 */
export const line = (issue: Issue): string => {
  const where = Invalid.pathText(issue.path)
  const field = where === "" ? "the request" : where
  if (issue._tag === "Missing") return `${field}: is missing`
  if (issue._tag === "Unexpected") return `${field}: is not a known field`
  // a message of our own schemas names its field already
  if (where !== "" && issue.message.startsWith(`${String(issue.path[issue.path.length - 1])} `)) return issue.message
  const expected = expectedPattern.exec(issue.message)
  if (expected !== null) return `${field}: expected ${expected[1]}, got ${expected[2]}`
  return `${field}: ${issue.message.split("\n")[0]}`
}

/**
 * The decode error with readable messages: one line per issue in its
 * `message` (joined by `; `), and in each issue.
 *
 * @since 0.1.0
 * @category helpers
 */
export const rewrite = (error: HttpApiError.HttpApiDecodeError): HttpApiError.HttpApiDecodeError => {
  const kept = alternatives(error.issues.filter((issue) => !isOptionalNoise(issue, error.issues)))
  const issues = kept.map((issue) => ({ ...issue, message: line(issue) }))
  return new HttpApiError.HttpApiDecodeError({ issues, message: [...new Set(issues.map((i) => i.message))].join("; ") })
}

/**
 * The issues of a field that may be one of several types (`NullOr`, a
 * union) as one: `expected number or null, got "ten"`, not one line per
 * type it is not.
 */
const alternatives = <I extends Issue>(issues: ReadonlyArray<I>): ReadonlyArray<I> => {
  const byPath = new Map<string, Array<I>>()
  for (const issue of issues) {
    const key = Invalid.pathText(issue.path)
    byPath.set(key, [...(byPath.get(key) ?? []), issue])
  }
  return [...byPath.values()].flatMap((group) => {
    const parsed = group.map((issue) => expectedPattern.exec(issue.message))
    const actual = parsed[0]?.[2]
    if (group.length < 2 || !parsed.every((m) => m !== null && m[2] === actual)) return group
    const expected = [...new Set(parsed.map((m) => m![1]!))].join(" or ")
    return [{ ...group[0]!, message: `Expected ${expected}, actual ${actual}` }]
  })
}

/** The "not undefined either" issue an optional field adds to its real one. */
const isOptionalNoise = (issue: Issue, all: ReadonlyArray<Issue>) =>
  issue.message.startsWith("Expected undefined,") &&
  all.some((other) => other !== issue && Invalid.pathText(other.path) === Invalid.pathText(issue.path))

/**
 * An API-level middleware that rewrites every `HttpApiDecodeError` with
 * {@link rewrite} before it is answered (as a 400).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.middleware((app) =>
  // the API's failures travel untyped in the cause (HttpApi encodes them after every middleware)
  Effect.mapErrorCause(app, (cause) =>
    Cause.map(cause as Cause.Cause<unknown>, (e) =>
      e instanceof HttpApiError.HttpApiDecodeError ? rewrite(e) : e) as Cause.Cause<never>)
)
