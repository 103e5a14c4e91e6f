import { describe, expect, it } from "@effect/vitest"
import { ApiTokens } from "@leadgraph/adapters"
import { Redacted } from "effect"

describe("ApiTokens.matches", () => {
  it("matches the same secret only, and never an empty one", () => {
    const admin = Redacted.make("admin-secret")
    expect(ApiTokens.matches(admin, Redacted.make("admin-secret"))).toBe(true)
    expect(ApiTokens.matches(admin, Redacted.make("admin-secreT"))).toBe(false)
    expect(ApiTokens.matches(admin, Redacted.make("admin-secret "))).toBe(false)
    expect(ApiTokens.matches(admin, Redacted.make(""))).toBe(false)
    expect(ApiTokens.matches(Redacted.make(""), Redacted.make(""))).toBe(false)
  })
})
