/**
 * The fakes' journal of billed units: what each credit paid for (the same
 * key twice is the same thing paid twice), when its request arrived and
 * when it was processed, with nothing for calls refused before processing.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as LushaData from "../../src/lusha/testing/LushaData.js"
import * as FakeLushaServer from "../../src/lusha/testing/FakeLushaServer.js"
import * as FakeZeroBounceServer from "../../src/zerobounce/testing/FakeZeroBounceServer.js"

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (http) => http.execute(request)).pipe(
    Effect.flatMap((r) => r.text),
    Effect.scoped
  )

describe("fake vendors' journal of billed units", () => {
  it.scopedLive("Lusha: one entry per billed request, keyed without the API key; a refused key is not journaled", () =>
    Effect.gen(function*() {
      const email = LushaData.contactsAt(3, "acme.example")[0]!.emailAddresses[0]!.email
      const server = yield* FakeLushaServer.make({ apiKey: "k-1", seed: 3 })
      const person = (key: string, address: string) =>
        send(HttpClientRequest.get(`${server.url}/v2/person`).pipe(
          HttpClientRequest.setHeader("api_key", key),
          HttpClientRequest.setUrlParam("email", address)
        ))
      const before = Date.now()
      yield* person("k-1", email)
      yield* person("k-1", email)
      yield* person("wrong", email)
      const other = LushaData.contactsAt(3, "acme.example")[1]!.emailAddresses[0]!.email
      yield* person("k-1", other)
      const journal = yield* server.billed()
      expect(journal.length).toBe(3)
      expect(journal[0]!.key).toBe(journal[1]!.key)
      expect(journal[2]!.key).not.toBe(journal[0]!.key)
      expect(journal.every((e) => e.endpoint === "GET /v2/person" && !e.key.includes("k-1"))).toBe(true)
      expect(journal.reduce((sum, e) => sum + e.credits, 0)).toBe(yield* server.creditsUsed)
      for (const e of journal) {
        expect(e.startedAt).toBeGreaterThanOrEqual(before)
        expect(e.endedAt).toBeGreaterThanOrEqual(e.startedAt)
      }
      expect((yield* server.billed(2)).length).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("ZeroBounce: a batch journals one entry per billed address", () =>
    Effect.gen(function*() {
      const server = yield* FakeZeroBounceServer.make({ apiKey: "zb", seed: 5 })
      const emails = ["ann@acme.example", "bob@acme.example", "cy@beta.example"]
      yield* send(HttpClientRequest.post(`${server.url}/v2/validatebatch`).pipe(
        HttpClientRequest.bodyUnsafeJson({ api_key: "zb", email_batch: emails.map((email_address) => ({ email_address })) })
      ))
      yield* send(HttpClientRequest.get(`${server.url}/v2/validate`).pipe(
        HttpClientRequest.setUrlParams({ api_key: "zb", email: "ann@acme.example" })
      ))
      const journal = yield* server.billed()
      const charged = [...(yield* server.charges).entries()].flatMap(([email, n]) => Array.from({ length: n }, () => email))
      expect(journal.map((e) => e.key).sort()).toEqual(charged.sort())
      expect(journal.length).toBeGreaterThanOrEqual(2)
      expect(journal.every((e) => e.credits === 1)).toBe(true)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("every request's arrival is journaled: refused, rate-limited, unbilled and unknown ones too", () =>
    Effect.gen(function*() {
      const email = LushaData.contactsAt(3, "acme.example")[0]!.emailAddresses[0]!.email
      const server = yield* FakeLushaServer.make({ apiKey: "k-1", seed: 3, rateLimit: { limit: 2, interval: "1 minute" } })
      const person = (key: string, address: string) =>
        send(HttpClientRequest.get(`${server.url}/v2/person`).pipe(
          HttpClientRequest.setHeader("api_key", key),
          HttpClientRequest.setUrlParam("email", address)
        ))
      const before = Date.now()
      yield* person("k-1", email) // billed
      yield* person("k-1", "nobody@nowhere.example") // not found: not billed
      yield* person("k-1", email) // over the limit: 429
      yield* person("wrong", email) // refused key
      yield* send(HttpClientRequest.get(`${server.url}/v9/nothing`))
      const arrivals = yield* server.arrivals()
      expect(arrivals.map((a) => a.endpoint)).toEqual([
        "GET /v2/person",
        "GET /v2/person",
        "GET /v2/person",
        "GET /v2/person",
        "unknown"
      ])
      expect(arrivals.every((a, i) => a.at >= before && (i === 0 || a.at >= arrivals[i - 1]!.at))).toBe(true)
      expect((yield* server.billed()).length).toBe(1)
      expect((yield* server.arrivals(3)).length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
