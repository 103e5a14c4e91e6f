/**
 * Translation of `SqlError` (and row decoding failures) into the store's one
 * error, at the adapter edge.
 *
 * @internal
 */
import { SqlError } from "@effect/sql/SqlError"
import { Store } from "@leadgraph/core"
import { Effect, ParseResult } from "effect"

const codeOf = (cause: unknown): string | undefined => {
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
    return cause.code
  }
  return undefined
}

const messageOf = (cause: unknown): string | undefined =>
  cause instanceof Error ? cause.message.split("\n")[0] : undefined

/** @internal */
export const fromSqlError = (operation: string, error: SqlError): Store.StoreError => {
  const code = codeOf(error.cause)
  const detail = messageOf(error.cause) ?? error.message
  const reason: Store.StoreError["reason"] = code === undefined
    ? "Unavailable"
    // the connection's own errors (Postgres restarting, a lost network): ECONNRESET, ECONNREFUSED, EPIPE, ...
    : /^E[A-Z]+$/.test(code)
    ? "Unavailable"
    : code.startsWith("08") || code.startsWith("57P") || code === "53300"
    ? "Unavailable"
    : code === "40001" || code === "40P01" || code === "55P03"
    ? "Conflict"
    : code === "42501"
    ? "Forbidden"
    : code.startsWith("23")
    ? "Constraint"
    : code.startsWith("22")
    ? "Invalid"
    : "Query"
  return new Store.StoreError({ reason, operation, detail: code ? `${code}: ${detail}` : detail, cause: error })
}

/** @internal */
export const isSqlError = (u: unknown): u is SqlError => u instanceof SqlError

/**
 * Maps the `SqlError`s and `ParseError`s of an effect to `StoreError`.
 *
 * @internal
 */
export const mapErrors = (operation: string) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, SqlError | ParseResult.ParseError> | Store.StoreError, R> =>
  Effect.mapError(effect, (e) => {
    if (isSqlError(e)) return fromSqlError(operation, e)
    if (ParseResult.isParseError(e)) {
      return new Store.StoreError({ reason: "Invalid", operation, detail: "a row or input does not decode", cause: e })
    }
    return e as Exclude<E, SqlError | ParseResult.ParseError>
  })
