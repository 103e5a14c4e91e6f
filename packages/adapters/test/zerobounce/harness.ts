/**
 * Shared set-up of the ZeroBounce contract tests: a fake server and the live
 * adapter pointed at it, with short timeouts and retry delays.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Budget, VerificationCache, ZeroBounce as ZeroBouncePort } from "@leadgraph/core"
import { type Duration, Effect, Layer, Redacted } from "effect"
import * as ZeroBounce from "../../src/zerobounce/ZeroBounceLive.js"
import * as FakeZeroBounceServer from "../../src/zerobounce/testing/FakeZeroBounceServer.js"
import * as ZeroBounceData from "../../src/zerobounce/testing/ZeroBounceData.js"

export const KEY = "zb-test-key-6f1d2c3b4a5e"
export const SEED = 7

export const setup = (
  knobs: Partial<FakeZeroBounceServer.Knobs> = {},
  options: Partial<ZeroBounce.Options> = {}
) =>
  Effect.gen(function*() {
    const server = yield* FakeZeroBounceServer.make({ apiKey: KEY, seed: SEED, ...knobs })
    const zb = yield* ZeroBounce.make({
      apiKey: Redacted.make(KEY),
      baseUrl: `${server.url}/v2`,
      timeout: "1 second",
      batchTimeout: "1 second",
      retry: { base: "10 millis", maxDelay: "40 millis", retries: 3, jitter: false },
      rateLimit: { limit: 1000, interval: "1 second" },
      batchRateLimit: { limit: 1000, interval: "1 second" },
      ...options
    })
    return { server, zb }
  })

export const env = (cap = 1000, ttl: Duration.DurationInput = "30 days") =>
  Layer.mergeAll(
    NodeHttpClient.layerUndici,
    Budget.layerMemory({ [ZeroBouncePort.budget]: cap }),
    VerificationCache.layerMemory({ ttl })
  )

export const usage = Effect.flatMap(Budget.Budget, (b) => b.usage(ZeroBouncePort.budget))

/** The fake's verdict status for an address (to pick paid / unknown addresses). */
export const statusOf = (email: string) => ZeroBounceData.verdict(SEED, email, 0).status

/** `n` addresses at `domain` whose fake verdict is (or is not) `unknown`. */
export const addresses = (n: number, domain: string, unknown = false): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; out.length < n; i++) {
    const email = `person${i}@${domain}`
    if ((statusOf(email) === "unknown") === unknown) out.push(email)
  }
  return out
}
