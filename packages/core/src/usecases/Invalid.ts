/**
 * Operator input that cannot be used: a typed error carrying one readable
 * line per problem (`rules[2].weight: expected a number from 0 to 100, got
 * 150`), and {@link problems}, which turns a schema's `ParseError` into such
 * lines without schema internals. The data commands and the admin HTTP API
 * print or answer these lines as they are.
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"

/**
 * Input that cannot be used, with one line per problem; nothing was stored.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  problems: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return this.problems.join("\n")
  }
}

/**
 * Fails with one problem.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalid = (problem: string): InvalidInput => new InvalidInput({ problems: [problem] })

/**
 * A path into the input as a person reads it: `rules[2].weight`.
 *
 * @since 0.1.0
 * @category helpers
 */
export const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, key) =>
    typeof key === "number"
      ? `${out}[${key}]`
      : /^[A-Za-z_$][\w$]*$/.test(String(key))
      ? `${out}${out === "" ? "" : "."}${String(key)}`
      : `${out}[${JSON.stringify(String(key))}]`, "")

const longest = 80

/** A value as a message shows it, cut when long. */
const shown = (value: unknown): string => {
  const text = value === undefined ? "undefined" : JSON.stringify(value) ?? String(value)
  return text.length > longest ? `${text.slice(0, longest)}…` : text
}

const at = (input: unknown, path: ReadonlyArray<PropertyKey>): { readonly found: boolean; readonly value?: unknown } => {
  let value = input
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.prototype.hasOwnProperty.call(value, key)) {
      return { found: false }
    }
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return { found: true, value }
}

/**
 * Options of {@link problems}: the name of the input's root (`rules`), and
 * what each field expects, in words, by its path within the input (`null`
 * when no wording is known: the schema's own message is used).
 *
 * @since 0.1.0
 * @category models
 */
export interface Wording {
  readonly root?: string | undefined
  readonly expected: (path: ReadonlyArray<PropertyKey>) => string | undefined
}

/**
 * One line per issue of a `ParseError`: the path of the bad field and what
 * it expected, with the value given (`got 150`), `is missing`, or `is not
 * a known field` (decode with `onExcessProperty: "error"` to see those).
 * Lines are distinct and in the order of the issues.
 *
 * @since 0.1.0
 * @category helpers
 */
export const problems = (input: unknown, error: ParseResult.ParseError, wording: Wording): ReadonlyArray<string> => {
  const lines = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const where = pathText([...(wording.root === undefined ? [] : [wording.root]), ...issue.path]) || "input"
    if (issue._tag === "Missing") return `${where}: is missing`
    if (issue._tag === "Unexpected") return `${where}: is not a known field`
    const expected = wording.expected(issue.path)
    if (expected === undefined) return `${where}: ${issue.message}`
    const value = at(input, issue.path)
    return `${where}: ${expected}, got ${value.found ? shown(value.value) : "nothing"}`
  })
  return [...new Set(lines)]
}
