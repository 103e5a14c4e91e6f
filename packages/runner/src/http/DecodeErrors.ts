/**
 * Readable validation messages for the HTTP API. A request that does not
 * match an endpoint's schemas fails, in `@effect/platform`'s `HttpApi`,
 * with an `HttpApiDecodeError` whose message is the schema's own tree of
 * internals; {@link readable} rewrites such a 400 answer so that its
 * `message` says, field by field, what was expected
 * (`min_score must be a number from 0 to 100`, `tenant: is missing`,
 * `bogus: is not a known field`), and each of its `issues` likewise.
 *
 * @since 0.1.0
 */
import type { HttpApp } from "@effect/platform"
import { HttpServerResponse } from "@effect/platform"
import { Invalid } from "@leadgraph/core"
import { Effect } from "effect"

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

const decoder = new TextDecoder()

/**
 * Rewrites `HttpApiDecodeError` answers with readable messages; every
 * other answer passes unchanged.
 *
 * @since 0.1.0
 * @category middleware
 */
export const readable = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.map(app, (response) => {
    if (response.status !== 400 || response.body._tag !== "Uint8Array") return response
    const parsed = ((): unknown => {
      try {
        return JSON.parse(decoder.decode(response.body.body))
      } catch {
        return undefined
      }
    })()
    if (
      typeof parsed !== "object" || parsed === null || !("_tag" in parsed) || parsed._tag !== "HttpApiDecodeError" ||
      !("issues" in parsed) || !Array.isArray(parsed.issues)
    ) return response
    const issues = (parsed.issues as ReadonlyArray<Issue>).map((issue) => ({ ...issue, message: line(issue) }))
    const lines = [...new Set(issues.map((i) => i.message))]
    return HttpServerResponse.unsafeJson(
      { _tag: "HttpApiDecodeError", message: lines.join("; "), issues },
      { status: 400, headers: response.headers }
    )
  })
