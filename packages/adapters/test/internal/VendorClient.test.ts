import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { VendorError } from "@leadgraph/core"
import { Duration, Effect, Option, Redacted, Schema } from "effect"
import * as Failure from "../../src/internal/http/Failure.js"
import * as RetryAfter from "../../src/internal/http/RetryAfter.js"
import * as VendorClient from "../../src/internal/http/VendorClient.js"
import * as FakeServer from "../../src/internal/testing/FakeServer.js"
import { rateLimitedThenRecovered } from "../testing/RateLimited.js"

class ToyError extends Schema.TaggedError<ToyError>()("ToyError", VendorError.fields) {
  get retryable() {
    return VendorError.isRetryableReason(this.reason)
  }
  override get message() {
    return VendorError.message("Toy", this)
  }
}

const key = "toy-secret-key-123"

const toyVendor: FakeServer.Vendor = {
  name: "Toy",
  routes: {
    "GET /echo": (req, ctx) =>
      Effect.map(ctx.spend(1), (ok) =>
        ok ? { status: 200, body: { echo: req.query["q"] ?? "" } } : { status: 402, body: { message: `no credits for ${key}` } })
  },
  authorize: (req, k) => req.headers["x-toy-key"] === k,
  unauthorized: () => ({ status: 401, body: { message: `bad key ${key}` } }),
  rateLimited: (_req, reset) => ({ status: 429, body: { message: "slow down" }, headers: { "retry-after": String(Math.ceil(reset / 1000)) } }),
  serverError: () => ({ status: 503, body: { message: "down" } }),
  notFound: () => ({ status: 404, body: { message: "no such path" } })
}

const Echo = Schema.Struct({ echo: Schema.String })

const withToy = <A, E>(
  knobs: Partial<FakeServer.Knobs>,
  f: (server: FakeServer.FakeServer, client: VendorClient.VendorClient<ToyError>) => Effect.Effect<A, E>,
  retries = 2
) =>
  Effect.gen(function*() {
    const server = yield* FakeServer.make({ vendor: toyVendor, knobs: { apiKey: key, ...knobs } })
    const client = yield* VendorClient.make({
      vendor: "Toy",
      secrets: [Redacted.make(key)],
      makeError: (failure) => new ToyError(failure),
      timeout: "300 millis",
      retry: { base: "5 millis", maxDelay: "20 millis", retries, maxRetryAfter: "20 millis" },
      errorDetail: (body) => (typeof body === "object" && body !== null && "message" in body ? String(body.message) : undefined)
    })
    return yield* f(server, client)
  }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped)

const echoOf = (server: FakeServer.FakeServer, client: VendorClient.VendorClient<ToyError>, q: string, k = key) =>
  client.request(
    HttpClientRequest.get(`${server.url}/echo`).pipe(
      HttpClientRequest.setUrlParam("q", q),
      HttpClientRequest.setHeader("x-toy-key", k)
    ),
    Echo
  )

describe("RetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(RetryAfter.parse("3", 0)).toEqual(Option.some(Duration.seconds(3)))
    expect(RetryAfter.parse("Thu, 01 Jan 1970 00:00:10 GMT", 4_000)).toEqual(Option.some(Duration.millis(6_000)))
    expect(RetryAfter.parse("Thu, 01 Jan 1970 00:00:10 GMT", 20_000)).toEqual(Option.some(Duration.zero))
    expect(RetryAfter.parse("soon", 0)).toEqual(Option.none())
    expect(RetryAfter.parse(undefined, 0)).toEqual(Option.none())
  })
})

describe("Failure", () => {
  it("maps statuses to reasons, with vendor overrides", () => {
    const f = (status: number, overrides?: Record<number, VendorError.Reason>) =>
      Failure.fromStatus({ status, headers: { "retry-after": "2" }, nowMillis: 0, overrides }).reason
    expect([401, 402, 403, 400, 404, 408, 429, 500, 503].map((s) => f(s))).toEqual([
      "Unauthorized", "OutOfCredits", "Unauthorized", "BadRequest", "BadRequest", "Timeout", "RateLimited", "ServerError", "ServerError"
    ])
    expect(f(432, { 432: "OutOfCredits" })).toBe("OutOfCredits")
    expect(Failure.fromStatus({ status: 429, headers: { "retry-after": "2" }, nowMillis: 0 }).retryAfter).toEqual(Duration.seconds(2))
  })

  it("scrubs secrets", () => {
    expect(Failure.scrub("key abcd1234 leaked twice abcd1234", [Redacted.make("abcd1234")])).toBe(
      "key <redacted> leaked twice <redacted>"
    )
  })
})

describe("VendorClient against a FakeServer", () => {
  it.live("decodes a happy answer and counts the call", () =>
    withToy({}, (server, client) =>
      Effect.gen(function*() {
        expect(yield* echoOf(server, client, "hi")).toEqual({ echo: "hi" })
        expect(yield* server.calls).toEqual({ "GET /echo": 1 })
      })))

  it.live("retries 5xx, then gives up with ServerError", () =>
    withToy({ serverErrorRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(echoOf(server, client, "x"))
        expect(error.reason).toBe("ServerError")
        expect(error.status).toBe(503)
        expect(yield* server.callsOf("GET /echo")).toBe(3)
      })))

  it.live("carries Retry-After on a 429 and retries until the window opens", () =>
    withToy({ rateLimit: { limit: 1, interval: "1 minute" } }, (server, client) =>
      Effect.gen(function*() {
        yield* echoOf(server, client, "a")
        // One attempt (send), to read the error the policy would retry.
        const limited = yield* Effect.flip(client.send(
          HttpClientRequest.get(`${server.url}/echo`).pipe(HttpClientRequest.setHeader("x-toy-key", key)),
          Echo
        ))
        expect(limited._tag === "ToyError" && limited.reason).toBe("RateLimited")
        expect(limited.retryable).toBe(true)
        expect(limited.retryAfter !== undefined && Duration.toSeconds(limited.retryAfter)).toBeGreaterThan(0)
        const run = yield* rateLimitedThenRecovered(server, Effect.void, echoOf(server, client, "b"), (c) => c["GET /echo"] ?? 0)
        expect(run.result).toEqual({ echo: "b" })
      }), 100))

  it.live("does not retry a wrong key, and the key never shows", () =>
    withToy({}, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(echoOf(server, client, "x", "wrong-key-456"))
        expect(error.reason).toBe("Unauthorized")
        expect(error.retryable).toBe(false)
        expect(yield* server.callsOf("GET /echo")).toBe(1)
        expect(error.message).toContain("<redacted>")
        expect(error.message).not.toContain(key)
      })))

  it.live("turns a malformed body into BadResponse", () =>
    withToy({ malformedRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(echoOf(server, client, "x"))
        expect(error.reason).toBe("BadResponse")
        expect(yield* server.callsOf("GET /echo")).toBe(1)
      })))

  it.live("ends a hung connection at the timeout, per attempt", () =>
    withToy({ hangRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(echoOf(server, client, "x"))
        expect(error.reason).toBe("Timeout")
        expect(yield* server.callsOf("GET /echo")).toBe(3)
      })))

  it.live("stops calling once credits are out", () =>
    withToy({ credits: 1 }, (server, client) =>
      Effect.gen(function*() {
        yield* echoOf(server, client, "a")
        const first = yield* Effect.flip(echoOf(server, client, "b"))
        const second = yield* Effect.flip(echoOf(server, client, "c"))
        expect([first.reason, second.reason]).toEqual(["OutOfCredits", "OutOfCredits"])
        expect(yield* server.callsOf("GET /echo")).toBe(2)
      })))
})
