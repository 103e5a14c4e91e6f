/**
 * What the vendor client says about billing, and how it stops calling a
 * vendor that refused its key: each error carries `charged` (may the vendor
 * have billed the attempt?), a paid attempt that may have been billed is
 * never repeated while a free one is repeated on a malformed answer too,
 * core's Budget commits or releases from that (see core's
 * `test/engine/Charge.test.ts` for the policy itself), and a refused key sends one
 * request per run (not one per call in flight), said once in an error log
 * line naming the key's variable.
 */
import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, VendorError } from "@leadgraph/core"
import { Effect, Either, Layer, Redacted, Schema } from "effect"
import * as Failure from "../../src/internal/http/Failure.js"
import * as VendorClient from "../../src/internal/http/VendorClient.js"
import * as FakeServer from "../../src/internal/testing/FakeServer.js"
import { inRun } from "../testing/Interrupt.js"
import { captureLogs } from "../testing/Secrets.js"

class ToyError extends Schema.TaggedError<ToyError>()("ToyError", VendorError.fields) {
  get retryable() {
    return VendorError.isRetryable(this)
  }
  get code() {
    return VendorError.code("toy", this)
  }
  override get message() {
    return VendorError.message("Toy", this)
  }
}

const key = "toy-key-9f3a7c21be"

const toyVendor: FakeServer.Vendor = {
  name: "Toy",
  routes: {
    "GET /paid": (req, ctx) => Effect.as(ctx.spend(1), { status: 200, body: { echo: req.query["q"] ?? "" } }),
    "GET /free": (req) => Effect.succeed({ status: 200, body: { echo: req.query["q"] ?? "" } })
  },
  authorize: (req, k) => req.headers["x-toy-key"] === k,
  // echoes the tail of the key it got, as some vendors do
  unauthorized: (req) => ({ status: 401, body: { message: `invalid key ...${(req.headers["x-toy-key"] ?? "").slice(-4)}` } }),
  rateLimited: () => ({ status: 429, body: { message: "slow down" } }),
  serverError: () => ({ status: 503, body: { message: "down" } }),
  notFound: () => ({ status: 404, body: { message: "no such path" } })
}

const Echo = Schema.Struct({ echo: Schema.String })

const withToy = <A, E>(
  knobs: Partial<FakeServer.Knobs>,
  f: (server: FakeServer.FakeServer, client: VendorClient.VendorClient<ToyError>) => Effect.Effect<A, E, Budget.Budget>,
  options: Partial<VendorClient.Options<ToyError>> = {}
) =>
  Effect.gen(function*() {
    const server = yield* FakeServer.make({ vendor: toyVendor, knobs: { apiKey: key, ...knobs } })
    const client = yield* VendorClient.make({
      vendor: "Toy",
      keyVariable: "TOY_API_KEY",
      secrets: [Redacted.make(key)],
      makeError: (failure) => new ToyError(failure),
      timeout: "200 millis",
      retry: { base: "5 millis", maxDelay: "20 millis", retries: 2, maxRetryAfter: "20 millis", jitter: false },
      errorDetail: (body) => (typeof body === "object" && body !== null && "message" in body ? String(body.message) : undefined),
      ...options
    })
    return yield* f(server, client)
  }).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, Budget.layerMemory({ toy: 100 }))), Effect.scoped)

const call = (server: FakeServer.FakeServer, client: VendorClient.VendorClient<ToyError>, path: "paid" | "free", free = false) =>
  client.request(
    HttpClientRequest.get(`${server.url}/${path}`).pipe(HttpClientRequest.setUrlParam("q", "x"), HttpClientRequest.setHeader("x-toy-key", key)),
    Echo,
    { free }
  )

/** A paid call under a reservation of one unit of "toy". */
const paid = (server: FakeServer.FakeServer, client: VendorClient.VendorClient<ToyError>) =>
  Budget.withReservation("toy", 1, () => call(server, client, "paid"))

const usage = Effect.flatMap(Budget.Budget, (b) => b.usage("toy"))

describe("VendorClient: charged attempts", () => {
  it.live("a truncated 200 to a paid call is billed: BadResponse, charged, not repeated, its unit committed", () =>
    withToy({ malformedRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(paid(server, client))
        expect(error._tag === "ToyError" && [error.reason, error.status, error.charged, error.retryable]).toEqual([
          "BadResponse", 200, true, false
        ])
        expect(yield* server.callsOf("GET /paid")).toBe(1)
        expect(yield* server.creditsUsed).toBe(1)
        expect(yield* usage).toMatchObject({ committed: 1, reserved: 0 })
      })))

  it.live("a truncated answer to a free call is repeated within the policy, and never charged", () =>
    withToy({ malformedRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(call(server, client, "free", true))
        expect([error.reason, error.charged, error.retryable]).toEqual(["BadResponse", false, true])
        expect(yield* server.callsOf("GET /free")).toBe(3)
      })))

  it.live("a call hung after the vendor processed it is billed: Timeout, charged, not repeated, committed", () =>
    withToy({ hangAfterRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(paid(server, client))
        expect(error._tag === "ToyError" && [error.reason, error.charged]).toEqual(["Timeout", true])
        expect(yield* server.callsOf("GET /paid")).toBe(1)
        expect(yield* server.creditsUsed).toBe(1)
        expect(yield* usage).toMatchObject({ committed: 1, reserved: 0 })
      })))

  it.live("429s and 5xx before processing are not billed: repeated, then released", () =>
    withToy({ rateLimitedRate: 1 }, (server, client) =>
      Effect.gen(function*() {
        const limited = yield* Effect.flip(paid(server, client))
        expect(limited._tag === "ToyError" && [limited.reason, limited.charged]).toEqual(["RateLimited", false])
        yield* server.setKnobs({ rateLimitedRate: 0, serverErrorRate: 1 })
        const down = yield* Effect.flip(paid(server, client))
        expect(down._tag === "ToyError" && [down.reason, down.charged]).toEqual(["ServerError", false])
        expect(yield* server.callsOf("GET /paid")).toBe(6)
        expect(yield* server.creditsUsed).toBe(0)
        expect(yield* usage).toMatchObject({ committed: 0, reserved: 0 })
      })))

  it.live("a connection never made is not billed: repeated, then released", () =>
    withToy({}, (_server, client) =>
      Effect.gen(function*() {
        const dead = { url: "http://127.0.0.1:9" } as FakeServer.FakeServer
        const error = yield* Effect.flip(paid(dead, client))
        expect(error._tag === "ToyError" && [error.reason, error.charged, error.retryable]).toEqual(["Transport", false, true])
        expect(yield* usage).toMatchObject({ committed: 0, reserved: 0 })
      })))

  it("a transport failure counts as unsent only for connect-time codes", () => {
    expect(Failure.sentBefore(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(false)
    expect(Failure.sentBefore({ cause: { code: "ENOTFOUND" } })).toBe(false)
    expect(Failure.sentBefore(new AggregateError([{ code: "ECONNREFUSED" }, { code: "EHOSTUNREACH" }]))).toBe(false)
    expect(Failure.sentBefore(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }))).toBe(true)
    expect(Failure.sentBefore(new Error("no code"))).toBe(true)
  })
})

describe("VendorClient: a refused key", () => {
  it.live("sends one request for 12 concurrent calls of a run, fails all as Unauthorized, says so once naming the variable", () =>
    withToy({ apiKey: "the-right-key-0000" }, (server, client) =>
      Effect.gen(function*() {
        const lines: Array<string> = []
        const results = yield* Effect.forEach(Array.from({ length: 12 }), () => Effect.either(paid(server, client)), {
          concurrency: "unbounded"
        }).pipe(inRun("run-1"), (self) => captureLogs(self, lines))
        expect(results.every((r) => Either.isLeft(r) && r.left._tag === "ToyError" && r.left.reason === "Unauthorized")).toBe(true)
        expect(yield* server.callsOf("GET /paid")).toBe(1)
        expect(yield* usage).toMatchObject({ committed: 0, reserved: 0 })
        const said = lines.filter((l) => l.includes("TOY_API_KEY"))
        // each line is captured twice (logfmt and JSON)
        expect(said).toHaveLength(2)
        expect(said[0]).toContain("level=ERROR")
        expect(said[0]).toContain("toy.Unauthorized(401)")
        // the vendor echoed the key's tail: scrubbed from the error and the log
        const error = results[0]!
        expect(Either.isLeft(error) && error.left._tag === "ToyError" && error.left.detail).toBe("invalid key ...<redacted>")
        expect(lines.join("\n")).not.toContain("0000")

        // the next run probes once more (the operator may have fixed the key), and is latched in turn
        yield* server.setKnobs({ apiKey: key })
        expect(yield* paid(server, client).pipe(inRun("run-2"))).toEqual({ echo: "x" })
        // run-1 stays latched
        expect((yield* Effect.flip(paid(server, client).pipe(inRun("run-1")))).reason).toBe("Unauthorized")
        expect(yield* server.callsOf("GET /paid")).toBe(2)
      })))

  it.live("outside a run the latch expires", () =>
    withToy({ apiKey: "the-right-key-0000" }, (server, client) =>
      Effect.gen(function*() {
        expect((yield* Effect.flip(paid(server, client))).reason).toBe("Unauthorized")
        expect((yield* Effect.flip(paid(server, client))).reason).toBe("Unauthorized")
        expect(yield* server.callsOf("GET /paid")).toBe(1)
        yield* Effect.sleep("150 millis")
        yield* server.setKnobs({ apiKey: key })
        expect(yield* paid(server, client)).toEqual({ echo: "x" })
        expect(yield* server.callsOf("GET /paid")).toBe(2)
      }), { latchExpiry: "100 millis" }))

  it("scrubs runs of 4+ key characters, key fragments and masked keys", () => {
    const secrets = [Redacted.make(key)]
    expect(Failure.scrub("key ending in 7c21be", secrets)).toBe("key ending in <redacted>")
    expect(Failure.scrub("got toy-key", secrets)).toBe("got <redacted>")
    expect(Failure.scrub("got toy", secrets)).toBe("got toy")
    expect(Failure.scrub("url ?api_key=abc123&x=1", [])).toBe("url ?api_key=<redacted>&x=1")
    expect(Failure.scrub("Authorization: Bearer sk-abcdef123456", [])).toBe("Authorization: Bearer <redacted>")
    expect(Failure.scrub("Incorrect API key provided: sk-fa**********-key.", [])).toBe("Incorrect API key provided: <redacted>.")
  })
})
