import { describe, expect, it } from "@effect/vitest"
import { Llm, Lusha, Tavily, VendorError, ZeroBounce } from "@leadgraph/core"

describe("VendorError", () => {
  it("never repeats an attempt that may have been billed; repeats a malformed answer only when it was not", () => {
    expect(VendorError.isRetryable({ reason: "Timeout" })).toBe(true)
    expect(VendorError.isRetryable({ reason: "Timeout", charged: true })).toBe(false)
    expect(VendorError.isRetryable({ reason: "Transport", charged: false })).toBe(true)
    expect(VendorError.isRetryable({ reason: "BadResponse" })).toBe(false)
    expect(VendorError.isRetryable({ reason: "BadResponse", charged: true })).toBe(false)
    expect(VendorError.isRetryable({ reason: "BadResponse", charged: false })).toBe(true)
    expect(VendorError.isRetryable({ reason: "Unauthorized", charged: false })).toBe(false)
    expect(new Tavily.TavilyError({ reason: "ServerError", status: 500, charged: false }).retryable).toBe(true)
    expect(new Llm.LlmError({ reason: "Truncated", charged: false }).retryable).toBe(false)
  })

  it("codes failures stably: vendor, reason, status, a short secret-free message", () => {
    expect(new Lusha.LushaError({ reason: "Unauthorized", status: 401, detail: "Invalid API key" }).code).toBe(
      "lusha.Unauthorized(401): Invalid API key"
    )
    expect(new Tavily.TavilyError({ reason: "Timeout", detail: "Tavily did not answer within 30s" }).code).toBe(
      "tavily.Timeout: Tavily did not answer within 30s"
    )
    expect(new ZeroBounce.ZeroBounceError({ reason: "OutOfCredits" }).code).toBe("zerobounce.OutOfCredits")
    expect(new Llm.LlmError({ reason: "Unauthorized", status: 401, detail: "Incorrect API key provided: sk-ab*****wxyz." }).code)
      .toBe("openai.Unauthorized(401): Incorrect API key provided: <redacted>.")
    const long = VendorError.code("lusha", { reason: "BadRequest", status: 400, detail: "x".repeat(500) })
    expect(long.length).toBeLessThan(160)
  })

  it("redacts key fragments a vendor may echo", () => {
    expect(VendorError.redact("GET /v2/validate?api_key=abc123def&email=x")).toBe("GET /v2/validate?api_key=<redacted>&email=x")
    expect(VendorError.redact(`{"apikey": "abc123"}`)).toBe(`{"apikey": "<redacted>"}`)
    expect(VendorError.redact("Authorization: Bearer tvly-0123456789")).toBe("Authorization: Bearer <redacted>")
    expect(VendorError.redact("key ****9f3a is not valid")).toBe("key <redacted> is not valid")
    expect(VendorError.redact("use sk-proj-abcdefghijkl instead")).toBe("use <redacted> instead")
    expect(VendorError.redact("Rate limit reached on tokens per min (TPM): Limit 200000")).toBe(
      "Rate limit reached on tokens per min (TPM): Limit 200000"
    )
    // linear on adversarial input
    const started = performance.now()
    VendorError.redact(`${"a".repeat(200_000)} ${"token ".repeat(20_000)}`)
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})
