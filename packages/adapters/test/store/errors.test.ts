/**
 * The store's translation of `SqlError`: a lost connection (the driver's
 * `ECONNRESET`, `ECONNREFUSED`, ... while Postgres restarts) and Postgres's
 * own connection classes are `Unavailable`, which callers try again; other
 * SQLSTATEs keep their reasons.
 */
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { fromSqlError } from "../../src/store/internal/errors.js"

const withCode = (code: string | undefined) =>
  new SqlError({ cause: Object.assign(new Error(`failed (${code})`), code === undefined ? {} : { code }), message: "failed" })

describe("store errors", () => {
  it("a lost or refused connection is Unavailable", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "08006", "57P01", undefined]) {
      expect(fromSqlError("transaction", withCode(code)).reason, String(code)).toBe("Unavailable")
    }
  })

  it("other SQLSTATEs keep their reasons", () => {
    expect(fromSqlError("insert", withCode("23505")).reason).toBe("Constraint")
    expect(fromSqlError("update", withCode("40001")).reason).toBe("Conflict")
    expect(fromSqlError("select", withCode("42501")).reason).toBe("Forbidden")
    expect(fromSqlError("select", withCode("42P01")).reason).toBe("Query")
  })
})
