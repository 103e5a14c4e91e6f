import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FakeZeroBounceServer from "../../src/zerobounce/testing/FakeZeroBounceServer.js"

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (http) => http.execute(request)).pipe(
    Effect.flatMap((r) => Effect.map(r.json, (body) => ({ status: r.status, body: body as any })))
  )

describe("FakeZeroBounceServer wire format", () => {
  it.scopedLive("reads api_key from the query or body only, and reports errors in HTTP 200 bodies", () =>
    Effect.gen(function*() {
      const server = yield* FakeZeroBounceServer.make({ apiKey: "k" })
      const header = yield* send(HttpClientRequest.get(`${server.url}/v2/validate?email=a@b.example`).pipe(HttpClientRequest.setHeader("api_key", "k")))
      expect([header.status, header.body]).toEqual([400, { error: "Missing parameter: api_key." }])
      const wrong = yield* send(HttpClientRequest.get(`${server.url}/v2/validate?api_key=x&email=a@b.example`))
      expect(wrong.status).toBe(200)
      expect(wrong.body.error).toMatch(/Invalid API key/i)
      const credits = yield* send(HttpClientRequest.get(`${server.url}/v2/getcredits?api_key=x`))
      expect(credits.body).toEqual({ Credits: "-1" })
      const batch = yield* send(HttpClientRequest.post(`${server.url}/v2/validatebatch`).pipe(HttpClientRequest.bodyUnsafeJson({
        api_key: "x", email_batch: [{ email_address: "a@b.example" }]
      })))
      expect([batch.status, batch.body.errors[0].email_address]).toEqual([200, "all"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("sends string-typed fields, enforces the batch cap and charges only for results that are not unknown", () =>
    Effect.gen(function*() {
      const server = yield* FakeZeroBounceServer.make({ apiKey: "k", credits: 10, batchLimit: 3 })
      const one = yield* send(HttpClientRequest.get(`${server.url}/v2/validate?api_key=k&email=jane.roe@acme.example&ip_address=`))
      expect(typeof one.body.mx_found).toBe("string")
      expect(typeof one.body.domain_age_days).toBe("string")
      expect(one.body.processed_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/)
      const tooMany = yield* send(HttpClientRequest.post(`${server.url}/v2/validatebatch`).pipe(HttpClientRequest.bodyUnsafeJson({
        api_key: "k", email_batch: ["a", "b", "c", "d"].map((x) => ({ email_address: `${x}@acme.example` }))
      })))
      expect(tooMany.status).toBe(400)
      const missing = yield* send(HttpClientRequest.post(`${server.url}/v2/validatebatch`).pipe(HttpClientRequest.bodyUnsafeJson({
        api_key: "k", email_batch: [{ ip_address: null }, { email_address: "unknown@example.com" }]
      })))
      expect(missing.body.errors).toEqual([{ email_address: "unknown", error: "Missing email_batch key: email_address." }])
      expect(missing.body.email_batch[0].status).toBe("unknown")
      const balance = yield* send(HttpClientRequest.get(`${server.url}/v2/getcredits?api_key=k`))
      expect(balance.body.Credits).toBe(one.body.status === "unknown" ? "10" : "9")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("blocks for a while after the per-minute quota (429)", () =>
    Effect.gen(function*() {
      const server = yield* FakeZeroBounceServer.make({ apiKey: "k", rateLimit: { limit: 1, interval: "1 minute", block: "10 minutes" } })
      const url = `${server.url}/v2/getcredits?api_key=k`
      expect((yield* send(HttpClientRequest.get(url))).status).toBe(200)
      expect((yield* send(HttpClientRequest.get(url))).status).toBe(429)
      expect((yield* send(HttpClientRequest.get(url))).status).toBe(429)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
