import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { FakeVendors } from "@leadgraph/adapters/testing"
import { Effect } from "effect"

const post = (url: string, headers: Record<string, string>, body: unknown) =>
  Effect.flatMap(HttpClient.HttpClient, (http) =>
    http.execute(HttpClientRequest.post(url).pipe(HttpClientRequest.setHeaders(headers), HttpClientRequest.bodyUnsafeJson(body)))).pipe(
      Effect.flatMap((r) => Effect.map(r.json, (body) => ({ status: r.status, body })))
    )

/** What a seed determines: a Lusha prospecting page and an OpenAI extraction for the same company. */
const sample = (v: FakeVendors.FakeVendors) =>
  Effect.all({
    lusha: post(`${v.lusha.url}/prospecting/contact/search`, { api_key: "test-key" }, {
      pages: { page: 0, size: 10 },
      filters: { companies: { include: { domains: ["acme.example"] } } }
    }).pipe(Effect.map((r) => (r.body as { contacts: unknown }).contacts)),
    zeroBounceStatus: Effect.flatMap(HttpClient.HttpClient, (http) =>
      http.get(`${v.zeroBounce.url}/v2/validate?api_key=test-key&email=jane.roe%40acme.example`)).pipe(
        Effect.flatMap((r) => r.json),
        Effect.map((b) => (b as { status: string }).status)
      )
  })

describe("FakeVendors.make", () => {
  it.scopedLive("starts all five fakes on 127.0.0.1, and one seed gives the same data every time", () =>
    Effect.gen(function*() {
      const a = yield* FakeVendors.make({ seed: 42 })
      const b = yield* FakeVendors.make({ seed: 42 })
      for (const url of [a.tavily.url, a.lusha.url, a.zeroBounce.url, a.odoo.url, a.openAi.baseURL]) {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/)
      }
      const first = yield* sample(a)
      expect(first.lusha).not.toHaveLength(0)
      expect(yield* sample(b)).toEqual(first)
      const other = yield* FakeVendors.make({ seed: 7 })
      expect((yield* sample(other)).lusha).not.toEqual(first.lusha)
      expect(yield* a.lusha.callsOf("POST /prospecting/contact/search")).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
