/**
 * The fakes' fault knobs, in each vendor's wire format, and what the fakes
 * count as billed: a 429 or 5xx answered before processing bills nothing;
 * a 200 whose body is cut short and a call hung after processing are billed
 * by the vendor's rule; a wrong key gets the vendor's refusal (echoing the
 * key's masked tail only with the unconfirmed `echoKey` toggle).
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FakeOpenAiServer from "../../src/llm/testing/FakeOpenAiServer.js"
import * as FakeLushaServer from "../../src/lusha/testing/FakeLushaServer.js"
import * as LushaData from "../../src/lusha/testing/LushaData.js"
import * as FakeTavilyServer from "../../src/tavily/testing/FakeTavilyServer.js"
import * as FakeZeroBounceServer from "../../src/zerobounce/testing/FakeZeroBounceServer.js"

/** Sends a request and reads its status and raw text; `None`-like `undefined` when no answer came within 300 ms. */
const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (http) => http.execute(request)).pipe(
    Effect.flatMap((r) => Effect.map(r.text, (text) => ({ status: r.status, text }))),
    Effect.scoped,
    Effect.timeout("300 millis"),
    Effect.option,
    Effect.map((o) => (o._tag === "Some" ? o.value : undefined))
  )

const lushaPerson = (url: string, key: string, email: string) =>
  HttpClientRequest.get(`${url}/v2/person`).pipe(HttpClientRequest.setHeader("api_key", key), HttpClientRequest.setUrlParam("email", email))

describe("fake vendors' fault knobs", () => {
  it.scopedLive("Lusha: 429 and 5xx bill nothing; a cut body and a hung answer are billed; a wrong key is 401, tail echoed on demand", () =>
    Effect.gen(function*() {
      const known = LushaData.contactsAt(7, "acme.example")[0]!.emailAddresses[0]!.email
      const server = yield* FakeLushaServer.make({ apiKey: "k-0123456789", seed: 7, rateLimitedRate: 1 })
      expect(yield* send(lushaPerson(server.url, "k-0123456789", known))).toMatchObject({ status: 429 })
      yield* server.setKnobs({ rateLimitedRate: 0, serverErrorRate: 1 })
      expect(yield* send(lushaPerson(server.url, "k-0123456789", known))).toMatchObject({ status: 500 })
      expect(yield* server.creditsUsed).toBe(0)
      yield* server.setKnobs({ serverErrorRate: 0, malformedRate: 1 })
      const cut = yield* send(lushaPerson(server.url, "k-0123456789", known))
      expect(cut?.status).toBe(200)
      expect(() => JSON.parse(cut!.text)).toThrow()
      yield* server.setKnobs({ malformedRate: 0, hangAfterRate: 1 })
      expect(yield* send(lushaPerson(server.url, "k-0123456789", known))).toBeUndefined()
      expect([yield* server.creditsUsed, yield* server.billedCalls]).toEqual([2, 2])
      expect([...(yield* server.charges).values()]).toEqual([2])

      expect((yield* send(lushaPerson(server.url, "wrong-key-9f3a", known)))?.text).toBe(`{"statusCode":401,"message":"Invalid API key"}`)
      const echoing = yield* FakeLushaServer.make({ apiKey: "k", echoKey: true })
      expect((yield* send(lushaPerson(echoing.url, "wrong-key-9f3a", known)))?.text).toContain("Invalid API key: ****9f3a")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("ZeroBounce: a cut or hung validation is billed; a wrong key is ZeroBounce's 200 error, tail echoed on demand", () =>
    Effect.gen(function*() {
      const server = yield* FakeZeroBounceServer.make({ apiKey: "zb-key", seed: 7, malformedRate: 1 })
      const validate = (key: string, email: string) =>
        HttpClientRequest.get(`${server.url}/v2/validate`).pipe(HttpClientRequest.setUrlParams({ api_key: key, email, ip_address: "" }))
      expect((yield* send(validate("zb-key", "jane@acme.example")))?.status).toBe(200)
      yield* server.setKnobs({ malformedRate: 0, hangAfterRate: 1 })
      expect(yield* send(validate("zb-key", "joe@acme.example"))).toBeUndefined()
      const charged = yield* server.creditsUsed
      expect(charged).toBe([...(yield* server.charges).values()].reduce((a, b) => a + b, 0))
      expect(yield* server.billedCalls).toBe(charged)
      yield* server.setKnobs({ hangAfterRate: 0 })
      expect((yield* send(validate("wrong-key-9f3a", "a@acme.example")))?.text).toBe(
        `{"error":"Invalid API Key or your account ran out of credits"}`
      )
      const echoing = yield* FakeZeroBounceServer.make({ apiKey: "zb-key", echoKey: true })
      const echoed = yield* send(
        HttpClientRequest.get(`${echoing.url}/v2/validate`).pipe(
          HttpClientRequest.setUrlParams({ api_key: "wrong-key-9f3a", email: "a@acme.example", ip_address: "" })
        )
      )
      expect(echoed?.text).toContain("(api_key ****9f3a)")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("Tavily and OpenAI: a hung answer after processing is billed, a 429 before it is not", () =>
    Effect.gen(function*() {
      const tavily = yield* FakeTavilyServer.make({ apiKey: "k", hangAfterRate: 1 })
      const search = HttpClientRequest.post(`${tavily.url}/search`).pipe(
        HttpClientRequest.bearerToken("k"),
        HttpClientRequest.bodyUnsafeJson({ query: "acme" })
      )
      expect(yield* send(search)).toBeUndefined()
      yield* tavily.setKnobs({ hangAfterRate: 0, rateLimitedRate: 1 })
      expect((yield* send(search))?.status).toBe(429)
      expect([yield* tavily.creditsUsed, yield* tavily.billedCalls]).toEqual([1, 1])

      const openAi = yield* FakeOpenAiServer.make({ hangAfterRate: 1 })
      const completion = HttpClientRequest.post(`${openAi.baseURL}/chat/completions`).pipe(
        HttpClientRequest.bearerToken(FakeOpenAiServer.defaults.apiKey),
        HttpClientRequest.bodyUnsafeJson({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] })
      )
      expect(yield* send(completion)).toBeUndefined()
      const served = yield* openAi.served
      expect(served.completions).toBe(1)
      expect(served.totalTokens).toBeGreaterThan(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
