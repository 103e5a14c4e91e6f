import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as FakeLushaServer from "../../src/lusha/testing/FakeLushaServer.js"

const call = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (http) => http.execute(request)).pipe(
    Effect.flatMap((r) => Effect.map(r.json, (body) => ({ status: r.status, headers: r.headers, body: body as any })))
  )

describe("FakeLushaServer wire format", () => {
  it.scopedLive("requires the api_key header and sends the nine rate-limit headers", () =>
    Effect.gen(function*() {
      const server = yield* FakeLushaServer.make({ apiKey: "k", rateLimit: { limit: 50, interval: "1 minute" } })
      const denied = yield* call(HttpClientRequest.get(`${server.url}/v2/person?email=a@b.example`))
      expect([denied.status, denied.body]).toEqual([401, { statusCode: 401, message: "Invalid API key" }])
      const ok = yield* call(HttpClientRequest.get(`${server.url}/v2/person?email=a@b.example`).pipe(HttpClientRequest.setHeader("api_key", "k")))
      expect(ok.status).toBe(200)
      expect(ok.body.contact.error.name).toBe("EMPTY_DATA")
      for (const name of ["minute", "hourly", "daily"]) {
        expect(ok.headers[`x-rate-limit-${name}`]).toBeDefined()
        expect(ok.headers[`x-${name}-requests-left`]).toBeDefined()
        expect(ok.headers[`x-${name}-usage`]).toBeDefined()
      }
      expect(ok.headers["x-minute-requests-left"]).toBe("49")
      expect(ok.headers["retry-after"]).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("enforces identifier rules, the bulk limit, reveal flags and the search requestId", () =>
    Effect.gen(function*() {
      const server = yield* FakeLushaServer.make({ apiKey: "k" })
      const auth = HttpClientRequest.setHeader("api_key", "k")
      const noId = yield* call(HttpClientRequest.get(`${server.url}/v2/person?firstName=Jane`).pipe(auth))
      expect(noId.status).toBe(400)
      const reveal = yield* call(HttpClientRequest.get(`${server.url}/v2/person?email=a@b.example&revealEmails=true`).pipe(auth))
      expect(reveal.status).toBe(403)
      const tooMany = yield* call(HttpClientRequest.post(`${server.url}/v2/person`).pipe(auth, HttpClientRequest.bodyUnsafeJson({
        contacts: Array.from({ length: 101 }, (_, i) => ({ contactId: String(i), email: `p${i}@acme.example` }))
      })))
      expect(tooMany.status).toBe(400)
      const bulk = yield* call(HttpClientRequest.post(`${server.url}/v2/person`).pipe(auth, HttpClientRequest.bodyUnsafeJson({
        contacts: [{ contactId: "c1", email: "nobody@acme.example" }]
      })))
      expect(bulk.body.contacts.c1).toEqual({ error: { code: 3, name: "EMPTY_DATA", message: "Could not find requested data" }, isCreditCharged: false, data: null })
      const enrich = yield* call(HttpClientRequest.post(`${server.url}/prospecting/contact/enrich`).pipe(auth, HttpClientRequest.bodyUnsafeJson({
        requestId: "not-a-search", contactIds: ["x"]
      })))
      expect(enrich.status).toBe(400)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("keeps Lusha's hour and day windows besides the minute one", () =>
    Effect.gen(function*() {
      const server = yield* FakeLushaServer.make({ apiKey: "k", hourlyLimit: 2, dailyLimit: 3 })
      const get = call(HttpClientRequest.get(`${server.url}/v2/person?email=a@b.example`).pipe(HttpClientRequest.setHeader("api_key", "k")))
      const first = yield* get
      expect([first.status, first.headers["x-hourly-requests-left"], first.headers["x-daily-requests-left"]]).toEqual([200, "1", "2"])
      expect((yield* get).status).toBe(200)
      const hourly = yield* get
      expect([hourly.status, hourly.body.message, hourly.headers["x-hourly-requests-left"]]).toEqual([429, "Hourly rate limit exceeded", "0"])
      expect(hourly.headers["retry-after"]).toBeUndefined()
      yield* TestClock.adjust("1 hour")
      expect((yield* get).status).toBe(200)
      const daily = yield* get
      expect([daily.status, daily.body.message, daily.headers["x-daily-requests-left"]]).toEqual([429, "Daily rate limit exceeded", "0"])
      yield* TestClock.adjust("1 day")
      expect((yield* get).status).toBe(200)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
