import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FakeTavilyServer from "../../src/tavily/testing/FakeTavilyServer.js"

const post = (url: string, body: unknown, key = "k") =>
  Effect.flatMap(HttpClient.HttpClient, (http) =>
    http.execute(HttpClientRequest.post(url).pipe(HttpClientRequest.bearerToken(key), HttpClientRequest.bodyUnsafeJson(body)))).pipe(
      Effect.flatMap((r) => Effect.map(r.json, (json) => ({ status: r.status, headers: r.headers, body: json as any })))
    )

describe("FakeTavilyServer wire format", () => {
  it.scopedLive("validates requests and answers Tavily's error shape", () =>
    Effect.gen(function*() {
      const server = yield* FakeTavilyServer.make({ apiKey: "k" })
      expect((yield* post(`${server.url}/search`, { query: "x" }, "bad")).body).toEqual({ detail: { error: "Unauthorized: missing or invalid API key." } })
      expect((yield* post(`${server.url}/search`, { query: "x", max_results: 21 })).status).toBe(400)
      expect((yield* post(`${server.url}/search`, { query: "x", search_depth: "deep" })).status).toBe(400)
      expect((yield* post(`${server.url}/extract`, { urls: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) })).status).toBe(400)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("echoes usage only when asked, always sends a request_id, and answers 432 when credits run out", () =>
    Effect.gen(function*() {
      const server = yield* FakeTavilyServer.make({ apiKey: "k", credits: 2 })
      const plain = yield* post(`${server.url}/search`, { query: "acme" })
      expect(plain.body.usage).toBeUndefined()
      expect(typeof plain.body.request_id).toBe("string")
      expect(plain.body.results.every((r: any) => r.raw_content === null)).toBe(true)
      const usage = yield* post(`${server.url}/search`, { query: "acme", include_usage: true, include_raw_content: true })
      expect(usage.body.usage).toEqual({ credits: 1 })
      expect(usage.body.results.every((r: any) => typeof r.raw_content === "string")).toBe(true)
      const spent = yield* post(`${server.url}/search`, { query: "acme" })
      expect(spent.status).toBe(432)
      expect(spent.body.detail.error).toContain("usage limit")
      const payg = yield* FakeTavilyServer.make({ apiKey: "k", credits: 0, payAsYouGo: true })
      expect((yield* post(`${payg.url}/search`, { query: "acme" })).status).toBe(433)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("answers 429 without Retry-After over the rate limit", () =>
    Effect.gen(function*() {
      const server = yield* FakeTavilyServer.make({ apiKey: "k", rateLimit: { limit: 1, interval: "1 minute" } })
      yield* post(`${server.url}/search`, { query: "a" })
      const limited = yield* post(`${server.url}/search`, { query: "b" })
      expect(limited.status).toBe(429)
      expect(limited.headers["retry-after"]).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
