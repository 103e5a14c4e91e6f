import { describe, expect, it } from "@effect/vitest"
import { ZeroBounce as ZeroBouncePort } from "@leadgraph/core"
import { ConfigProvider, Effect, Either, Layer } from "effect"
import * as ZeroBounce from "../../src/zerobounce/ZeroBounceLive.js"
import { rateLimitedThenRecovered } from "../testing/RateLimited.js"
import { captureLogs, renderings } from "../testing/Secrets.js"
import { addresses, env, KEY, setup, usage } from "./harness.js"
import * as ZeroBounceFake from "../../src/zerobounce/testing/ZeroBounceFake.js"

describe("ZeroBounce against the fake server", () => {
  it.scopedLive("verifies one address, pays once, then answers from the cache", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup()
      const [email] = addresses(1, "acme.example")
      const verdict = yield* zb.verify(email!.toUpperCase())
      expect(verdict.email).toBe(email)
      expect(verdict.status).not.toBe("unknown")
      expect(typeof verdict.mxFound).toBe("boolean")
      expect(verdict.processedAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/)
      expect(yield* zb.verify(email!)).toEqual(verdict)
      expect(yield* server.callsOf("GET /v2/validate")).toBe(1)
      expect(yield* server.creditsUsed).toBe(1)
      expect((yield* usage).committed).toBe(1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("serves the sandbox table for free", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup()
      const verdicts = yield* zb.verifyMany(["valid@example.com", "invalid@example.com", "catch_all@example.com", "toxic@example.com"])
      expect(verdicts.verdicts.map((v) => [v.status, v.subStatus])).toEqual([
        ["valid", ""], ["invalid", "mailbox_not_found"], ["catch-all", ""], ["do_not_mail", "toxic"]
      ])
      expect(yield* server.creditsUsed).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("verifies many in batches of batchSize, paying only for results that are not unknown", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ batchLimit: 100 }, { batchSize: 40, concurrency: 2 })
      const emails = [...addresses(90, "acme.example"), ...addresses(10, "acme.example", true)]
      const result = yield* zb.verifyMany([...emails, ...emails.slice(0, 5)])
      expect(result.verdicts.map((v) => v.email)).toEqual(emails)
      expect(yield* server.callsOf("POST /v2/validatebatch")).toBe(3)
      expect(yield* server.creditsUsed).toBe(90)
      expect((yield* usage).committed).toBe(90)
      const again = yield* zb.verifyMany(emails)
      expect(again.verdicts.map((v) => v.email)).toEqual(emails)
      // Only the ten unknown (free, uncached) addresses go out again: few enough to go one by one.
      expect(yield* server.callsOf("POST /v2/validatebatch")).toBe(3)
      expect(yield* server.callsOf("GET /v2/validate")).toBe(10)
      expect(yield* server.creditsUsed).toBe(90)
    }).pipe(Effect.provide(env())))

  it.scopedLive("honours a 429 and retries", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({}, { retry: { base: "10 millis", maxDelay: "20 millis", retries: 100, jitter: false } })
      const [a, b] = addresses(2, "acme.example")
      const run = yield* rateLimitedThenRecovered(server, zb.verify(a!), zb.verify(b!), (calls) => calls["GET /v2/validate"] ?? 0)
      expect(run.result.email).toBe(b)
      expect(run.calls).toBeGreaterThan(run.baseline + 1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("retries 5xx, then gives up with ServerError and releases the budget", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ serverErrorRate: 1 }, { singlesUpTo: 0 })
      const error = yield* Effect.flip(zb.verifyMany(addresses(3, "acme.example")))
      expect(error._tag === "ZeroBounceError" && [error.reason, error.status]).toEqual(["ServerError", 500])
      expect(yield* server.callsOf("POST /v2/validatebatch")).toBe(4)
      expect((yield* usage).committed).toBe(0)
      expect((yield* usage).reserved).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("verifies a few addresses one by one under one reservation, more in a batch", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({}, { singlesUpTo: 5 })
      const few = addresses(5, "acme.example")
      const result = yield* zb.verifyMany(few)
      expect(result.verdicts.map((v) => v.email)).toEqual(few)
      expect(result.rejected).toEqual([])
      expect(yield* server.calls).toEqual({ "GET /v2/validate": 5 })
      expect((yield* usage).committed).toBe(yield* server.creditsUsed)
      const more = addresses(6, "beta.example")
      expect((yield* zb.verifyMany(more)).verdicts.map((v) => v.email)).toEqual(more)
      expect(yield* server.calls).toEqual({ "GET /v2/validate": 5, "POST /v2/validatebatch": 1 })
    }).pipe(Effect.provide(env())))

  it.scopedLive("fails as the first single did when none succeeds, and releases the budget", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ serverErrorRate: 1 })
      const error = yield* Effect.flip(zb.verifyMany(addresses(3, "acme.example")))
      expect(error._tag === "ZeroBounceError" && [error.reason, error.status]).toEqual(["ServerError", 500])
      // three addresses, each tried four times
      expect(yield* server.callsOf("GET /v2/validate")).toBe(12)
      expect((yield* usage).committed).toBe(0)
      expect((yield* usage).reserved).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("turns a malformed body into BadResponse", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ malformedRate: 1 })
      const error = yield* Effect.flip(zb.verify("jane@acme.example"))
      expect(error._tag === "ZeroBounceError" && error.reason).toBe("BadResponse")
      expect(yield* server.callsOf("GET /v2/validate")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("maps the HTTP-200 bad-key answer to Unauthorized, without retrying, and sends nothing more", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ apiKey: "another-key" }, { singlesUpTo: 0 })
      const single = yield* Effect.flip(zb.verify("jane@acme.example"))
      const many = yield* Effect.flip(zb.verifyMany(["jane@acme.example", "joe@acme.example"]))
      const credits = yield* Effect.flip(zb.credits)
      for (const error of [single, many, credits]) {
        expect(error._tag === "ZeroBounceError" && [error.reason, error.retryable]).toEqual(["Unauthorized", false])
      }
      // one validation, one getcredits to tell a bad key from spent credits; then the key is latched
      expect(yield* server.calls).toEqual({ "GET /v2/validate": 1, "GET /v2/getcredits": 1 })
    }).pipe(Effect.provide(env())))

  it.scopedLive("stops paying when the credits run out, keeping what was verified", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ credits: 3 })
      const emails = addresses(5, "acme.example")
      const error = yield* Effect.flip(zb.verifyMany(emails))
      expect(error._tag === "ZeroBounceError" && error.reason).toBe("OutOfCredits")
      expect(yield* server.creditsUsed).toBe(3)
      expect((yield* usage).committed).toBe(3)
      const calls = yield* server.calls
      const later = yield* Effect.flip(zb.verify("someone.else@acme.example"))
      expect(later._tag === "ZeroBounceError" && later.reason).toBe("OutOfCredits")
      expect(yield* server.calls).toEqual(calls)
      // The three addresses paid for are cached and free to read back.
      expect((yield* zb.verify(emails[0]!)).email).toBe(emails[0])
    }).pipe(Effect.provide(env())))

  it.scopedLive("tells an empty account from a bad key with getcredits", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ credits: 0 }, { singlesUpTo: 0 })
      const error = yield* Effect.flip(zb.verifyMany(addresses(2, "acme.example")))
      expect(error._tag === "ZeroBounceError" && error.reason).toBe("OutOfCredits")
      expect(yield* server.callsOf("GET /v2/getcredits")).toBe(1)
      expect(yield* zb.credits).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("ends a hung connection at the timeout; a validation that may have been billed is not sent again", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ hangRate: 1 }, { timeout: "150 millis", retry: { retries: 1, base: "10 millis" } })
      const error = yield* Effect.flip(zb.verify("jane@acme.example"))
      expect(error._tag === "ZeroBounceError" && [error.reason, error.charged]).toEqual(["Timeout", true])
      expect(yield* server.callsOf("GET /v2/validate")).toBe(1)
      expect(yield* usage).toMatchObject({ committed: 1, reserved: 0 })
    }).pipe(Effect.provide(env())))

  it.scopedLive("never pays beyond the budget cap, under concurrency", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ latency: { min: "1 millis", max: "10 millis" } }, { batchSize: 5, concurrency: 3 })
      const emails = addresses(120, "busy.example")
      const groups = Array.from({ length: 12 }, (_, i) => emails.slice(i * 10, i * 10 + 10))
      const results = yield* Effect.forEach(groups, (g) => Effect.either(zb.verifyMany(g)), { concurrency: 12 })
      expect(results.some(Either.isLeft)).toBe(true)
      expect(yield* server.creditsUsed).toBeLessThanOrEqual(30)
      expect((yield* server.callsOf("POST /v2/validatebatch")) * 5).toBeLessThanOrEqual(30)
      expect((yield* usage).committed).toBe(yield* server.creditsUsed)
    }).pipe(Effect.provide(env(30))))

  it.scopedLive("pays once for an address verified by concurrent calls", () =>
    Effect.gen(function*() {
      const { server, zb } = yield* setup({ latency: { min: "5 millis", max: "20 millis" } }, { batchSize: 7, concurrency: 3 })
      const emails = addresses(20, "shared.example")
      const calls: Array<Effect.Effect<unknown, unknown>> = [
        ...Array.from({ length: 4 }, (_, i) => zb.verifyMany(i % 2 === 0 ? emails : [...emails].reverse())),
        ...emails.slice(0, 6).map((email) => zb.verify(email))
      ]
      yield* Effect.all(calls, { concurrency: "unbounded" })
      const charges = yield* server.charges
      expect([...charges.values()].every((n) => n === 1)).toBe(true)
      expect(charges.size).toBe(20)
      expect((yield* usage).committed).toBe(20)
    }).pipe(Effect.provide(env())))

  it.scopedLive("never shows the key in error messages or captured logs", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const failures: Array<unknown> = []
      const cases: Array<[Parameters<typeof setup>[0], Parameters<typeof setup>[1]]> = [
        [{ apiKey: "other" }, {}],
        // the tail of the key, echoed back (unconfirmed for the real API)
        [{ apiKey: "other", echoKey: true }, {}],
        [{ serverErrorRate: 1 }, {}],
        [{ malformedRate: 1 }, {}],
        [{ credits: 0 }, {}],
        [{ hangRate: 1 }, {}],
        [{}, { baseUrl: "http://127.0.0.1:9/v2" }]
      ]
      for (const [knobs, options] of cases) {
        const { zb } = yield* setup(knobs, { timeout: "100 millis", retry: { retries: 1, base: "5 millis" }, ...options })
        const calls: Array<Effect.Effect<unknown, unknown>> = [zb.verify("jane@acme.example"), zb.verifyMany(["joe@acme.example"])]
        for (const call of calls) {
          failures.push(yield* Effect.flip(call).pipe(Effect.tap((e) => Effect.logError("verification failed", e)), (self) => captureLogs(self, lines)))
        }
      }
      const text = [...lines, ...failures.map(renderings)].join("\n")
      expect(text).toContain("Transport")
      expect(lines.some((line) => line.includes("call failed"))).toBe(true)
      expect(text).not.toContain(KEY)
      expect(text).not.toContain(KEY.slice(-4))
    }).pipe(Effect.provide(env())))
})

describe("ZeroBounceFake.layer", () => {
  it.scopedLive("gives the fake server's verdicts for the same seed", () =>
    Effect.gen(function*() {
      const { zb } = yield* setup()
      const emails = addresses(5, "acme.example")
      const live = yield* zb.verifyMany(emails)
      const fake = yield* Effect.provide(
        Effect.flatMap(ZeroBouncePort.ZeroBounce, (z) => z.verifyMany(emails)),
        ZeroBounceFake.layer({ seed: 7 })
      )
      expect(fake.verdicts.map((v) => [v.email, v.status, v.subStatus])).toEqual(
        live.verdicts.map((v) => [v.email, v.status, v.subStatus])
      )
    }).pipe(Effect.provide(env())))
})

describe("ZeroBounceLive.layerConfig", () => {
  it.effect("reads ZEROBOUNCE_API_KEY as a redacted secret, and fails with a ConfigError without it", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Layer.build(ZeroBounce.layerConfig()).pipe(Effect.scoped))
      expect(missing._tag).toBe("ConfigError")
      expect(String(missing)).toContain("ZEROBOUNCE_API_KEY")
      const service = yield* ZeroBouncePort.ZeroBounce.pipe(
        Effect.provide(ZeroBounce.layerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ZEROBOUNCE_API_KEY", "secret-value-123"]])))
      )
      expect(Object.keys(service).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(env()), Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))
})
