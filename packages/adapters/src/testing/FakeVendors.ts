/**
 * All five fake vendors at once: Tavily, Lusha, ZeroBounce, Odoo and OpenAI,
 * each an HTTP server on 127.0.0.1 speaking the vendor's wire format, started
 * with one seed so the same company always gets the same contacts, emails,
 * verdicts and extractions. Each server can still take its own knobs.
 *
 * ```ts
 * const vendors = yield* FakeVendors.make({ seed: 42, lusha: { credits: 100 } })
 * vendors.tavily.url // http://127.0.0.1:<port>
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Redacted } from "effect"
import type { Scope } from "effect"
import * as FakeOpenAiServer from "../llm/testing/FakeOpenAiServer.js"
import * as FakeLushaServer from "../lusha/testing/FakeLushaServer.js"
import * as FakeOdooServer from "../odoo/testing/FakeOdooServer.js"
import * as FakeTavilyServer from "../tavily/testing/FakeTavilyServer.js"
import * as FakeZeroBounceServer from "../zerobounce/testing/FakeZeroBounceServer.js"
import type * as Vendors from "../Vendors.js"

/**
 * The seed shared by all five, plus per-vendor options (their own `seed`, if
 * given, wins).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly seed: number
  readonly tavily?: Partial<FakeTavilyServer.Knobs> | undefined
  readonly lusha?: Partial<FakeLushaServer.Knobs> | undefined
  readonly zeroBounce?: Partial<FakeZeroBounceServer.Knobs> | undefined
  readonly odoo?: FakeOdooServer.Options | undefined
  readonly openAi?: FakeOpenAiServer.Options | undefined
}

/**
 * The five running servers.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeVendors {
  readonly tavily: FakeTavilyServer.FakeTavilyServer
  readonly lusha: FakeLushaServer.FakeLushaServer
  readonly zeroBounce: FakeZeroBounceServer.FakeZeroBounceServer
  readonly odoo: FakeOdooServer.FakeOdooServer
  readonly openAi: FakeOpenAiServer.FakeOpenAiServer
}

/**
 * Starts all five fakes with one seed; they stop when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<FakeVendors, never, Scope.Scope> =>
  Effect.all({
    tavily: FakeTavilyServer.make({ seed: options.seed, ...options.tavily }),
    lusha: FakeLushaServer.make({ seed: options.seed, ...options.lusha }),
    zeroBounce: FakeZeroBounceServer.make({ seed: options.seed, ...options.zeroBounce }),
    odoo: FakeOdooServer.make({ seed: options.seed, ...options.odoo }),
    openAi: FakeOpenAiServer.make({ seed: options.seed, ...options.openAi })
  }, { concurrency: "unbounded" })
/**
 * Options that point the live adapters at running fake vendors started
 * with their default keys (the demo, tests and benchmarks), with the
 * client-side rate limits wide open: the fakes enforce their own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const vendorOptions = (fakes: FakeVendors): Vendors.Options => {
  const key = Redacted.make("test-key")
  const open = { limit: 1_000_000, interval: "1 minute" } as const
  return {
    tavily: { apiKey: key, baseUrl: fakes.tavily.url, rateLimit: open },
    lusha: { apiKey: key, baseUrl: fakes.lusha.url, rateLimit: open },
    zeroBounce: { apiKey: key, baseUrl: `${fakes.zeroBounce.url}/v2`, rateLimit: open, batchRateLimit: open, concurrency: 64 },
    openAi: { apiKey: Redacted.make(FakeOpenAiServer.defaults.apiKey), baseURL: fakes.openAi.baseURL, rateLimit: open }
  }
}

